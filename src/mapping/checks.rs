//! The checks of one enabled mapping row (mappings/README.md): a source mapped twice, two rows
//! with the same target, ids DHIS2 cannot take.

use rustc_hash::FxHashMap;

use super::{Col, Findings, MAX_CODE_LENGTH, MappingRow, TargetScheme, id_trouble};
use crate::ids::is_uid;
use crate::words::count;

/// The source keys and targets of the rows checked so far, with their row numbers.
#[derive(Default)]
pub struct Seen<'a> {
    sources: FxHashMap<(&'a str, &'a str, &'a str), u32>,
    targets: FxHashMap<(&'a str, &'a str, &'a str), u32>,
}

impl<'a> Seen<'a> {
    /// An error for a source key mapped twice, a warning for a target reached twice.
    pub fn check(
        &mut self,
        r: &'a MappingRow,
        cell: &impl Fn(Col, u32) -> String,
        findings: &mut Findings,
    ) {
        let source = (
            r.exported(),
            r.source_category_option_combo.as_str(),
            r.source_attribute_option_combo.as_str(),
        );
        if let Some(first) = self.sources.insert(source, r.row) {
            findings.error(
                cell(Col::Source, r.row),
                format!(
                    "`{}` is mapped again (first on row {first}): which row applies is ambiguous",
                    r.exported()
                ),
            );
        }
        let target = (
            r.data_element.as_str(),
            r.category_option_combo.as_str(),
            r.attribute_option_combo.as_str(),
        );
        if r.data_element.is_empty() {
            return;
        }
        if let Some(first) = self.targets.insert(target, r.row) {
            let combo = |c: &str| {
                if c.is_empty() {
                    "default".to_string()
                } else {
                    format!("`{c}`")
                }
            };
            findings.warning(
                cell(Col::DataElement, r.row),
                format!(
                    "the same target as row {first} (data element `{}`, category option combo {}, attribute option combo {}): values of both rows for the same period and org unit will collide as duplicates",
                    r.data_element,
                    combo(&r.category_option_combo),
                    combo(&r.attribute_option_combo)
                ),
            );
        }
    }
}

/// Warnings for ids DHIS2 cannot take: control characters or quotes, codes over 50 characters,
/// non-UIDs where UIDs are expected.
pub fn ids(
    r: &MappingRow,
    scheme: TargetScheme,
    cell: &impl Fn(Col, u32) -> String,
    findings: &mut Findings,
) {
    let cells = [
        (Col::Source, r.source.as_str()),
        (Col::DataElement, &r.data_element),
        (Col::Coc, &r.category_option_combo),
        (Col::Aoc, &r.attribute_option_combo),
    ];
    for (c, id) in cells
        .into_iter()
        .chain(r.data_sets().map(|d| (Col::DataSet, d)))
    {
        if let Some(what) = id_trouble(id) {
            findings.warning(
                cell(c, r.row),
                format!("`{}` holds {what}", id.escape_debug()),
            );
        }
        if id.is_empty() || c == Col::Source || c == Col::DataSet {
            continue;
        }
        match scheme {
            TargetScheme::Code if id.chars().count() > MAX_CODE_LENGTH => findings.warning(
                cell(c, r.row),
                format!("`{id}` is longer than DHIS2's {MAX_CODE_LENGTH}-character codes"),
            ),
            TargetScheme::Uid if !is_uid(id) => findings.warning(
                cell(c, r.row),
                format!("`{id}` is not a UID, but --target-scheme uid says targets are UIDs"),
            ),
            _ => {}
        }
    }
}

/// A mapping's errors and warnings and what convert will do with it, in the words both
/// `mapping check` and the convert console use: errors of the mapping itself make convert
/// refuse it; errors of targets the HMIS lacks leave those rows' values out.
/// Findings with the same message, as one line: their cells, rows in a run of one column
/// joined (`mapping!E16–E27`), and the message. In the order of each message's first finding.
pub fn grouped<'f>(findings: &[&'f super::Finding]) -> Vec<(String, &'f str)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in findings {
        match groups.iter_mut().find(|(m, _)| *m == f.message) {
            Some((_, cells)) => cells.push(&f.cell),
            None => groups.push((&f.message, vec![&f.cell])),
        }
    }
    groups
        .into_iter()
        .map(|(message, cells)| (cell_ranges(&cells), message))
        .collect()
}

/// `mapping!E16`, `mapping!E17`, `mapping!E19` → `mapping!E16–E17, mapping!E19`; more than six
/// runs end with how many more.
fn cell_ranges(cells: &[&str]) -> String {
    let mut runs: Vec<(String, String)> = Vec::new();
    let mut last: Option<(&str, u32)> = None;
    let mut seen = rustc_hash::FxHashSet::default();
    for &cell in cells {
        // The same place again (a finding of the tracker's set-up, `programs[…]`): once.
        if !seen.insert(cell) {
            continue;
        }
        let parsed = super::sheet::split_reference(cell);
        match (&parsed, &last, runs.last_mut()) {
            (Some((head, row)), Some((last_head, last_row)), Some(run))
                if head == last_head && *row == *last_row + 1 =>
            {
                run.1 = format!("–{}", row_label(head, *row));
            }
            _ => runs.push((cell.to_string(), String::new())),
        }
        last = parsed;
    }
    let shown: Vec<String> = runs
        .iter()
        .take(6)
        .map(|(a, b)| format!("{a}{b}"))
        .collect();
    let more = runs.len().saturating_sub(6);
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(" … {more} more"));
    }
    if cells.len() > 1 {
        text.push_str(&format!(" ({} findings)", cells.len()));
    }
    text
}

/// The end of a run of cells: its column and row (`E27` of `mapping!E27`).
fn row_label(head: &str, row: u32) -> String {
    let column: String = head
        .chars()
        .rev()
        .take_while(char::is_ascii_alphabetic)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{column}{row}")
}

pub fn findings_line(own_errors: usize, errors: usize, warnings: usize) -> String {
    let verdict = if own_errors > 0 {
        format!(
            "convert will refuse this mapping until {} fixed",
            if own_errors == 1 {
                "its error is".to_string()
            } else {
                format!("its {own_errors} errors are")
            }
        )
    } else if errors > 0 {
        format!(
            "convert will run, but leaves out the values of the rows with {} (unknownTarget) \
             until they are fixed",
            count(errors as u64, "target error")
        )
    } else {
        "the mapping can be used".into()
    };
    format!(
        "{}, {}: {verdict}",
        count(errors as u64, "error"),
        count(warnings as u64, "warning")
    )
}

#[cfg(test)]
mod tests {
    use super::grouped;
    use crate::mapping::Finding;

    #[test]
    fn findings_with_one_message_are_one_line_with_their_cells_in_runs() {
        let missing = "data element `X` does not exist";
        let findings: Vec<Finding> = [
            ("mapping!E16", missing),
            ("mapping!G3", "other"),
            ("mapping!E17", missing),
            ("mapping!E18", missing),
            ("mapping!E20", missing),
            ("'My sheet'!E21", missing),
        ]
        .iter()
        .map(|(c, m)| Finding::error(*c, *m))
        .collect();
        let refs: Vec<&Finding> = findings.iter().collect();
        assert_eq!(
            grouped(&refs),
            [
                (
                    "mapping!E16–E18, mapping!E20, 'My sheet'!E21 (5 findings)".to_string(),
                    missing
                ),
                ("mapping!G3".to_string(), "other"),
            ]
        );
    }
}
