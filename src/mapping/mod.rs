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
pub mod sheet;
pub mod target;
pub mod template;

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Result;
use rustc_hash::FxHashMap;

use crate::ids::is_uid;
use crate::model::normalise_name;
use crate::value::ValueType;
pub use checks::findings_line;
use columns::column;
pub use columns::{COLUMNS, Col};
use sheet::{Note, Sheet};

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
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{s}: {}: {}", self.cell, self.message)
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

/// No row holds the required columns: the error names the row that looks most like a header
/// (the most known or nearly known names) and what its names were probably meant as.
fn no_header(sheet: &Sheet, findings: &mut Findings) {
    let score = |row: &sheet::Row| {
        row.cells
            .iter()
            .filter(|c| columns::column(c).is_some() || columns::nearest(c).is_some())
            .count()
    };
    let best = sheet
        .rows
        .iter()
        .filter(|r| score(r) > 0)
        .max_by_key(|r| (score(r), std::cmp::Reverse(r.number)));
    let required = "the required columns `programIndicator` (or `source`, `dx`, `pi`) and \
                    `dataElement` were not found on this sheet";
    let Some(row) = best else {
        findings.error(sheet.cell(0, 1), format!("no header row: {required}"));
        return;
    };
    let meant: Vec<String> = row
        .cells
        .iter()
        .filter_map(|c| {
            columns::nearest(c).map(|n| format!("`{}` may be meant as `{n}`", c.trim()))
        })
        .collect();
    findings.error(
        sheet.cell(0, row.number),
        format!(
            "no header row: {required}; row {} looks like the header{}",
            row.number,
            if meant.is_empty() {
                String::new()
            } else {
                format!(": {}", meant.join(", "))
            }
        ),
    );
}

/// Header names that are no column but nearly one: a warning (the column is read as a note).
fn misspelled_columns(sheet: &Sheet, header: &sheet::Row, findings: &mut Findings) {
    for (c, name) in header.cells.iter().enumerate() {
        if let Some(meant) = columns::nearest(name) {
            findings.warning(
                sheet.cell(c, header.number),
                format!(
                    "`{}` is not a mapping column, so pi2de does not read it: did you mean `{meant}`?",
                    name.trim()
                ),
            );
        }
    }
}

/// Finds the header row: the first row holding every `required` column. Returns its index in
/// `sheet.rows` and the column of each recognised name.
fn header<T: Copy + Ord>(
    sheet: &Sheet,
    classify: impl Fn(&str) -> Option<T>,
    required: &[T],
    findings: &mut Findings,
) -> Option<(usize, BTreeMap<T, usize>)> {
    for (i, row) in sheet.rows.iter().enumerate() {
        let mut columns = BTreeMap::new();
        let mut repeated = Vec::new();
        for (c, cell) in row.cells.iter().enumerate() {
            if let Some(col) = classify(cell) {
                match columns.entry(col) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        repeated.push((c, cell.trim().to_string()))
                    }
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(c);
                    }
                }
            }
        }
        if required.iter().all(|r| columns.contains_key(r)) {
            for (c, name) in repeated {
                findings.error(
                    sheet.cell(c, row.number),
                    format!("column `{name}` repeats a column already in the header: which one counts is ambiguous"),
                );
            }
            return Some((i, columns));
        }
    }
    None
}

/// Reads an id cell: trimmed, with a warning when it had surrounding whitespace or was not
/// typed as text, and an error when its value cannot be known.
fn cell(sheet: &Sheet, row: &sheet::Row, column: Option<usize>, findings: &mut Findings) -> String {
    read_cell(sheet, row, column, findings, true)
}

/// Reads a cell for people (a name, notes): trimmed; a value that cannot be known is a warning.
fn name_cell(
    sheet: &Sheet,
    row: &sheet::Row,
    column: Option<usize>,
    findings: &mut Findings,
) -> String {
    read_cell(sheet, row, column, findings, false)
}

fn read_cell(
    sheet: &Sheet,
    row: &sheet::Row,
    column: Option<usize>,
    findings: &mut Findings,
    id: bool,
) -> String {
    let Some(c) = column else {
        return String::new();
    };
    let raw = row.cells.get(c).map(String::as_str).unwrap_or("");
    let at = || sheet.cell(c, row.number);
    if let Some(note) = row.note(c) {
        note_finding(note, raw, id, at(), findings);
        if matches!(note, Note::Error(_) | Note::NoCachedValue(_)) {
            return String::new();
        }
    }
    let trimmed = raw.trim();
    if id && trimmed.len() != raw.len() && !trimmed.is_empty() {
        findings.warning(at(), format!("whitespace around `{trimmed}` was trimmed"));
    }
    trimmed.to_string()
}

/// What a cell that was not typed as text means for the mapping.
fn note_finding(note: &Note, text: &str, id: bool, at: String, findings: &mut Findings) {
    let fix = "format the column as Text and type the code again";
    match note {
        Note::Error(e) => {
            let m = format!("the cell holds the spreadsheet error `{e}`, not a value: fix the formula or type the value");
            if id { findings.error(at, m) } else { findings.warning(at, m + "; read as blank") }
        }
        Note::NoCachedValue(f) => {
            let m = format!(
                "the cell holds the formula `{f}` but no calculated value (the file was written by a \
                 program that does not calculate): open it in Excel or LibreOffice and save it again"
            );
            if id { findings.error(at, m) } else { findings.warning(at, m + "; read as blank") }
        }
        Note::Number if id => findings.warning(
            at,
            format!("`{text}` is a number cell: a code with leading zeros (`01`) or many digits does not survive as a number; {fix}"),
        ),
        Note::Date if id => findings.warning(
            at,
            format!("`{text}` is a date cell: the spreadsheet turned what was typed into a date; {fix}"),
        ),
        Note::Bool if id => findings.warning(
            at,
            format!("`{text}` is a TRUE/FALSE cell, not a code; {fix}"),
        ),
        Note::Number | Note::Date | Note::Bool => {}
    }
}

/// Whether a row holds something in the table's columns (`known`); a row that holds
/// something only beyond them (a stray cell, a note) is skipped with a warning naming it.
fn holds_something(
    sheet: &Sheet,
    row: &sheet::Row,
    known: &[usize],
    findings: &mut Findings,
) -> bool {
    let used =
        |c: usize| row.cells.get(c).is_some_and(|t| !t.trim().is_empty()) || row.note(c).is_some();
    if known.iter().any(|&c| used(c)) {
        return true;
    }
    if let Some(c) = (0..row.cells.len()).find(|&c| used(c)) {
        findings.warning(
            sheet.cell(c, row.number),
            format!(
                "the row holds `{}` but nothing in the mapping's columns: ignored",
                row.cells[c].trim()
            ),
        );
    }
    false
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

    fn read_rows(&mut self, sheet: &Sheet, findings: &mut Findings) {
        let Some((header_index, cols)) =
            header(sheet, column, &[Col::Source, Col::DataElement], findings)
        else {
            no_header(sheet, findings);
            return;
        };
        misspelled_columns(sheet, &sheet.rows[header_index], findings);
        let known: Vec<usize> = cols.values().copied().collect();
        for row in &sheet.rows[header_index + 1..] {
            if !holds_something(sheet, row, &known, findings) {
                continue;
            }
            let get = |col: Col, f: &mut Findings| cell(sheet, row, cols.get(&col).copied(), f);
            let value_type_text = get(Col::ValueType, findings);
            let value_type = if value_type_text.is_empty() {
                None
            } else {
                let vt = ValueType::parse(&value_type_text);
                if vt.is_none() {
                    findings.warning(
                        sheet.cell(cols[&Col::ValueType], row.number),
                        format!("`{value_type_text}` is not a DHIS2 value type; values of this row are not type-checked"),
                    );
                }
                vt
            };
            let enabled_text = get(Col::Enabled, findings);
            let enabled = match enabled_text.to_ascii_lowercase().as_str() {
                "" | "yes" | "y" | "true" | "1" => true,
                "no" | "n" | "false" | "0" => false,
                other => {
                    findings.error(
                        sheet.cell(cols[&Col::Enabled], row.number),
                        format!("`enabled` is `{other}`; write yes or no (blank means yes)"),
                    );
                    false
                }
            };
            self.rows.push(MappingRow {
                row: row.number,
                source: get(Col::Source, findings),
                source_category_option_combo: get(Col::SourceCoc, findings),
                source_attribute_option_combo: get(Col::SourceAoc, findings),
                data_element: get(Col::DataElement, findings),
                category_option_combo: get(Col::Coc, findings),
                attribute_option_combo: get(Col::Aoc, findings),
                data_set: get(Col::DataSet, findings),
                value_type,
                value_type_text,
                enabled,
                program_indicator_name: name_cell(
                    sheet,
                    row,
                    cols.get(&Col::PiName).copied(),
                    findings,
                ),
                data_element_name: name_cell(sheet, row, cols.get(&Col::DeName).copied(), findings),
                exported_data_element: get(Col::Exported, findings),
            });
        }
        if self.rows.is_empty() {
            findings.error(
                sheet.cell(0, sheet.rows[header_index].number),
                "the mapping has a header but no rows below it: nothing would be converted",
            );
        }
        self.columns = cols;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum OuCol {
    Source,
    Target,
}

fn read_org_units(sheet: &Sheet, findings: &mut Findings) -> FxHashMap<String, String> {
    let classify = |name: &str| match normalise_name(name).as_str() {
        "source" => Some(OuCol::Source),
        "target" => Some(OuCol::Target),
        _ => None,
    };
    let mut map = FxHashMap::default();
    let Some((header_index, cols)) =
        header(sheet, classify, &[OuCol::Source, OuCol::Target], findings)
    else {
        findings.error(
            sheet.cell(0, 1),
            "no header row with the columns `source` and `target`",
        );
        return map;
    };
    let mut first_row: FxHashMap<String, u32> = FxHashMap::default();
    let known: Vec<usize> = cols.values().copied().collect();
    for row in &sheet.rows[header_index + 1..] {
        if !holds_something(sheet, row, &known, findings) {
            continue;
        }
        let source = cell(sheet, row, Some(cols[&OuCol::Source]), findings);
        let target = cell(sheet, row, Some(cols[&OuCol::Target]), findings);
        if source.is_empty() || target.is_empty() {
            let c = if source.is_empty() {
                OuCol::Source
            } else {
                OuCol::Target
            };
            findings.error(
                sheet.cell(cols[&c], row.number),
                "an org-unit row needs both `source` and `target`",
            );
            continue;
        }
        if let Some(previous) = map.get(&source) {
            if *previous != target {
                findings.error(
                    sheet.cell(cols[&OuCol::Source], row.number),
                    format!(
                        "org unit `{source}` is translated again, differently (first on row {})",
                        first_row[&source]
                    ),
                );
            }
            continue;
        }
        first_row.insert(source.clone(), row.number);
        map.insert(source, target);
    }
    map
}
