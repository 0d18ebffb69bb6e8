//! The CSV reader: DHIS2's analytics header (`data_element,period,organisation_unit,…`), the
//! import header (`dataelement,period,orgunit,categoryoptioncombo,…`, also `catoptcombo`,
//! `attroptcombo`) in any case and order, or no header at all (DHIS2's import positions). The
//! record parser, which the mapping reader shares, is [`records`].

pub mod records;

pub use records::Records;

use std::io::BufRead;

use anyhow::Result;

use super::{At, ReadOutcome, Sink, error_at, is_true};
use crate::model::{DataValue, Place, normalise_name};

/// Column positions of the fields pi2de reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    data_element: usize,
    period: usize,
    org_unit: usize,
    category_option_combo: Option<usize>,
    attribute_option_combo: Option<usize>,
    value: usize,
    deleted: Option<usize>,
    /// comment, followup, storedby, lastupdated.
    audit: [Option<usize>; 4],
    /// The header is that of an analytics table download (`Data`, `Period`, `Organisation
    /// unit`, `Value`), which may hold names instead of ids.
    grid: bool,
}

/// DHIS2's import positions, for a file with no header row (≤ 2.42 `CsvDataValueSetReader`:
/// `deleted` is column 11).
const POSITIONAL: Columns = Columns {
    data_element: 0,
    period: 1,
    org_unit: 2,
    category_option_combo: Some(3),
    attribute_option_combo: Some(4),
    value: 5,
    deleted: Some(10),
    audit: [Some(8), Some(9), Some(6), Some(7)],
    grid: false,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    DataElement,
    Period,
    OrgUnit,
    CategoryOptionCombo,
    AttributeOptionCombo,
    Value,
    Deleted,
    Comment,
    Followup,
    StoredBy,
    LastUpdated,
}

/// The role of a header name, compared ignoring case, spaces, `_` and `-`.
fn role(name: &str) -> Option<Role> {
    Some(match normalise_name(name).as_str() {
        "dataelement" | "dx" | "data" => Role::DataElement,
        "period" | "pe" => Role::Period,
        "orgunit" | "organisationunit" | "organizationunit" | "ou" => Role::OrgUnit,
        "categoryoptioncombo" | "catoptcombo" | "coc" | "co" => Role::CategoryOptionCombo,
        "attributeoptioncombo" | "attroptcombo" | "aoc" | "ao" => Role::AttributeOptionCombo,
        "value" => Role::Value,
        "deleted" => Role::Deleted,
        "comment" => Role::Comment,
        "followup" => Role::Followup,
        "storedby" => Role::StoredBy,
        "lastupdated" => Role::LastUpdated,
        _ => return None,
    })
}

/// What is wrong with a first row that is one field holding `;` or tabs: a CSV saved with
/// another separator (European Excel writes `;`; "Text (tab-delimited)" writes tabs).
pub fn separator_hint(fields: &[String]) -> Option<&'static str> {
    let [only] = fields else { return None };
    if only.contains('\t') {
        Some(
            "the columns are separated by tabs; pi2de reads comma-separated CSV (save the file again as CSV, comma-separated)",
        )
    } else if only.contains(';') {
        Some(
            "the columns are separated by `;`; DHIS2 CSV uses `,` (save the file again as comma-separated CSV)",
        )
    } else {
        None
    }
}

/// Reads the header row if the first record is one; `None` when the file has no header.
fn header_columns<R: BufRead>(
    records: &Records<R>,
    path: &str,
    line: u64,
) -> Result<Option<Columns>> {
    let roles: Vec<Option<Role>> = (0..records.len()).map(|i| role(records.field(i))).collect();
    let known = roles.iter().flatten().count();
    let first_is_name = roles.first().copied().flatten() == Some(Role::DataElement);
    if known < 2 && !first_is_name {
        let fields = records.fields();
        if let Some(hint) = separator_hint(&fields) {
            return Err(error_at(path, At::Line(line), hint));
        }
        // A header-less file follows DHIS2's import positions: at least six columns, a period
        // id (with digits) second.
        let period = fields.get(1).map_or("", |p| p.trim());
        if fields.len() < 6 || !period.bytes().any(|b| b.is_ascii_digit()) {
            let what = format!(
                "the first row is neither a header pi2de knows nor a data row: found {}. A \
                 dataValueSet CSV has the columns dataelement, period, orgunit, \
                 categoryoptioncombo, attributeoptioncombo, value (export it from DHIS2 as \
                 /api/analytics/dataValueSet.csv)",
                quoted(&fields)
            );
            return Err(error_at(path, At::Line(line), what));
        }
        return Ok(None);
    }
    twice(records, &roles, path, line)?;
    let find = |r: Role| roles.iter().position(|x| *x == Some(r));
    let mut missing = Vec::new();
    let mut need = |r: Role, name: &'static str| {
        let found = find(r);
        if found.is_none() {
            missing.push(name);
        }
        found.unwrap_or(0)
    };
    let columns = Columns {
        data_element: need(Role::DataElement, "dataelement"),
        period: need(Role::Period, "period"),
        org_unit: need(Role::OrgUnit, "orgunit"),
        value: need(Role::Value, "value"),
        category_option_combo: find(Role::CategoryOptionCombo),
        attribute_option_combo: find(Role::AttributeOptionCombo),
        deleted: find(Role::Deleted),
        audit: [
            find(Role::Comment),
            find(Role::Followup),
            find(Role::StoredBy),
            find(Role::LastUpdated),
        ],
        grid: (0..records.len()).any(|i| normalise_name(records.field(i)) == "data"),
    };
    if !missing.is_empty() {
        let what = format!(
            "the header row has no {} column (it has: {})",
            missing.join(", "),
            records.fields().join(", ")
        );
        return Err(error_at(path, At::Line(line), what));
    }
    Ok(Some(columns))
}

/// Refuses a header naming one column twice (`value,Value`, `orgunit` and
/// `organisation_unit`): which of the two holds the values cannot be told.
fn twice<R: BufRead>(
    records: &Records<R>,
    roles: &[Option<Role>],
    path: &str,
    line: u64,
) -> Result<()> {
    for (j, role) in roles.iter().enumerate() {
        let Some(role) = role else { continue };
        if let Some(i) = roles[..j].iter().position(|r| r == &Some(*role)) {
            let what = format!(
                "the header names one column twice: `{}` (column {}) and `{}` (column {}); \
                 which holds the values cannot be told: remove or rename one",
                records.field(i),
                i + 1,
                records.field(j),
                j + 1
            );
            return Err(error_at(path, At::Line(line), what));
        }
    }
    Ok(())
}

/// How wide the records must be: the header's field count, or without a header the first
/// row's, and how far the first row holds data.
#[derive(Clone, Copy, Default)]
struct Width {
    fields: usize,
    header: bool,
    first_data: usize,
}

/// The fields up to the last one that is not blank.
fn used<R: BufRead>(records: &Records<R>) -> usize {
    (0..records.len())
        .rev()
        .find(|&i| !records.field(i).trim().is_empty())
        .map_or(0, |i| i + 1)
}

/// Refuses a record with more fields than the header (or, without one, than the first row):
/// an unquoted `1,234` would otherwise be read as `1` and the rest dropped. Empty fields at
/// the end (a spreadsheet's padding) are no data and are allowed. Without a header the first
/// row may be the odd one: a later row that ends before the first row's data does is refused
/// too.
fn check_width<R: BufRead>(records: &Records<R>, w: Width, path: &str, line: u64) -> Result<()> {
    let n = used(records);
    let narrower = !w.header && n < w.first_data;
    if n <= w.fields && !narrower {
        return Ok(());
    }
    let (than, count) = match (w.header, narrower) {
        (true, _) => ("header has", w.fields),
        (false, false) => ("first row has", w.fields),
        (false, true) => ("first row holds", w.first_data),
    };
    let what = format!(
        "this row has {n} fields but the {than} {count}: a value holding an unquoted comma \
         (`1,234` for 1234) or a stray separator? Nothing of it can be read safely: quote the \
         field or remove the comma (found {})",
        quoted(&records.fields())
    );
    Err(error_at(path, At::Line(line), what))
}

/// Stops an analytics table download whose first data row holds names (`January 2024`,
/// `Ngelehun CHC`) instead of ids: nothing in it could be imported.
fn grid_names<R: BufRead>(records: &Records<R>, c: &Columns, path: &str, line: u64) -> Result<()> {
    let period = records.field(c.period).trim();
    let org_unit = records.field(c.org_unit).trim();
    let names = crate::period::parse(period).is_err()
        && (period.contains(' ') || !period.bytes().any(|b| b.is_ascii_digit()))
        || org_unit.contains(' ');
    if !names {
        return Ok(());
    }
    let what = format!(
        "this is an analytics table download (Data, Period, Organisation unit, Value) holding \
         names such as `{period}` and `{org_unit}`, not ids; pi2de converts dataValueSet \
         exports: download /api/analytics/dataValueSet.csv (or .json) with the same dimensions"
    );
    Err(error_at(path, At::Line(line), what))
}

/// `a`, `b`, `c`, … (at most eight) for a message.
fn quoted(fields: &[String]) -> String {
    let mut out: Vec<String> = fields.iter().take(8).map(|f| format!("`{f}`")).collect();
    if fields.len() > 8 {
        out.push("…".into());
    }
    out.join(", ")
}

/// Streams the data values of a CSV dataValueSet into `sink`.
pub fn read(reader: &mut dyn BufRead, path: &str, sink: &mut dyn Sink) -> Result<ReadOutcome> {
    let mut records = Records::new(reader);
    let mut columns: Option<Columns> = None;
    let mut width = Width::default();
    let mut values = 0u64;
    while let Some(line) = records.next_record().map_err(|e| e.in_file(path))? {
        let c = match columns {
            Some(c) => c,
            None => {
                let found = header_columns(&records, path, line)?;
                columns = Some(found.unwrap_or(POSITIONAL));
                width = Width {
                    fields: records.len(),
                    header: found.is_some(),
                    first_data: used(&records),
                };
                if found.is_some() {
                    continue;
                }
                POSITIONAL
            }
        };
        check_width(&records, width, path, line)?;
        if values == 0 && c.grid {
            grid_names(&records, &c, path, line)?;
        }
        values += 1;
        // Quoted fields keep their white space here; the converter trims ids, and counts.
        let id = |i: usize| records.field(i);
        let opt = |i: Option<usize>| i.map_or("", id);
        let value = records.field(c.value);
        let v = DataValue {
            data_element: id(c.data_element),
            period: id(c.period),
            org_unit: id(c.org_unit),
            category_option_combo: opt(c.category_option_combo),
            attribute_option_combo: opt(c.attribute_option_combo),
            value: (!value.is_empty()).then_some(value),
            deleted: c.deleted.is_some_and(|i| is_true(records.field(i))),
            audit: crate::model::Audit::from_fields(
                c.audit.map(|i| i.map(id).filter(|s| !s.is_empty())),
            ),
            place: Place {
                record: values,
                line: Some(line),
            },
        };
        sink.data_value(v)?;
    }
    Ok(ReadOutcome {
        header: Default::default(),
        values,
        late_defaults: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roles() {
        assert_eq!(role("data_element"), Some(Role::DataElement));
        assert_eq!(role("Organisation unit"), Some(Role::OrgUnit));
        assert_eq!(role("CATOPTCOMBO"), Some(Role::CategoryOptionCombo));
        assert_eq!(role("attroptcombo"), Some(Role::AttributeOptionCombo));
        assert_eq!(role("stored_by"), Some(Role::StoredBy));
        assert_eq!(role("created"), None);
    }
}
