//! The mapping workbook's columns, in one table: the name pi2de writes, the aliases it reads,
//! whether the column is required, what it means and an example. The loader, the template, the
//! from-metadata writer and the audit workbook all use it.

use crate::model::normalise_name;

/// The columns pi2de reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Col {
    Source,
    PiName,
    SourceCoc,
    SourceAoc,
    DataElement,
    DeName,
    Coc,
    Aoc,
    DataSet,
    ValueType,
    Enabled,
    Exported,
    Notes,
}

/// One column of the mapping sheet.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub col: Col,
    pub name: &'static str,
    /// Other names it is read by (compared ignoring case, spaces, `_` and `-`).
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub help: &'static str,
    pub example: &'static str,
}

/// The columns as pi2de writes them, in order.
pub const COLUMNS: [Column; 13] = [
    Column {
        col: Col::Source,
        name: "programIndicator",
        aliases: &["source", "dx", "pi"],
        required: true,
        help: "The id as it appears in the export's dataElement field: the program indicator's UID (or its code, or with DHIS2 2.42+ its aggregateExportDataElement). Also accepted as source, dx, pi.",
        example: "RJ6pdxga9Od",
    },
    Column {
        col: Col::PiName,
        name: "programIndicatorName",
        aliases: &[],
        required: false,
        help: "For people; carried into reports.",
        example: "Number of people receiving a first dose (Female 0-59)",
    },
    Column {
        col: Col::SourceCoc,
        name: "sourceCategoryOptionCombo",
        aliases: &[],
        required: false,
        help: "Match only values exported with this category option combo; blank matches any.",
        example: "0059Y_F",
    },
    Column {
        col: Col::SourceAoc,
        name: "sourceAttributeOptionCombo",
        aliases: &[],
        required: false,
        help: "Match only values exported with this attribute option combo; blank matches any.",
        example: "",
    },
    Column {
        col: Col::DataElement,
        name: "dataElement",
        aliases: &["dataElementCode"],
        required: true,
        help: "The target aggregate data element: its code (or UID with --target-scheme uid).",
        example: "CVC_EIR_AGG_PPL_1ST_DOSE",
    },
    Column {
        col: Col::DeName,
        name: "dataElementName",
        aliases: &[],
        required: false,
        help: "For people; carried into reports.",
        example: "People receiving a first dose",
    },
    Column {
        col: Col::Coc,
        name: "categoryOptionCombo",
        aliases: &["categoryOptionComboCode", "coc"],
        required: false,
        help: "The target category option combo; blank means default (then omitted in the output).",
        example: "0059Y_F",
    },
    Column {
        col: Col::Aoc,
        name: "attributeOptionCombo",
        aliases: &["attributeOptionComboCode", "aoc"],
        required: false,
        help: "The target attribute option combo; blank means default.",
        example: "",
    },
    Column {
        col: Col::DataSet,
        name: "dataSet",
        aliases: &["dataSetCode"],
        required: false,
        help: "The target data set code: used for checks and grouping.",
        example: "CVC_EIR_AGG",
    },
    Column {
        col: Col::ValueType,
        name: "valueType",
        aliases: &[],
        required: false,
        help: "The target data element's value type; values are checked against it as DHIS2 checks them.",
        example: "INTEGER_ZERO_OR_POSITIVE",
    },
    Column {
        col: Col::Enabled,
        name: "enabled",
        aliases: &[],
        required: false,
        help: "no (or false, 0) switches the row off; blank means yes.",
        example: "yes",
    },
    Column {
        col: Col::Exported,
        name: "exportedDataElement",
        aliases: &["exportedAs", "aggregateExportDataElement"],
        required: false,
        help: "What the export's dataElement field carries when it is not the program indicator: with DHIS2 2.42+ the PI's aggregateExportDataElement, exactly as typed there. Blank: the export carries programIndicator. pi2de request always asks for programIndicator.",
        example: "",
    },
    Column {
        col: Col::Notes,
        name: "notes",
        aliases: &[],
        required: false,
        help: "For people.",
        example: "female 0-59",
    },
];

/// The column a header cell names (its name or an alias); `notes` is for people and not read.
pub fn column(header: &str) -> Option<Col> {
    let n = normalise_name(header);
    COLUMNS
        .iter()
        .filter(|c| c.col != Col::Notes)
        .find(|c| normalise_name(c.name) == n || c.aliases.iter().any(|a| normalise_name(a) == n))
        .map(|c| c.col)
}

/// The known column a header name that is none was probably meant as: a name or alias within
/// two edits of it, compared as names are (a misspelling such as `categoryOptionCombos`).
/// Names known as for people (`notes`, the name columns) are no mistake.
pub fn nearest(header: &str) -> Option<&'static str> {
    let n = normalise_name(header);
    if n.len() < 4 || column(header).is_some() {
        return None;
    }
    COLUMNS
        .iter()
        .flat_map(|c| {
            std::iter::once(c.name)
                .chain(c.aliases.iter().copied())
                .map(move |a| (c.name, a))
        })
        .filter(|(_, a)| normalise_name(a).len() >= 4)
        .map(|(name, a)| (crate::words::edits(&n, &normalise_name(a)), name))
        .min_by_key(|(d, _)| *d)
        // 0: the name itself (`notes`, read for people); more than 2: no likely misspelling.
        .filter(|(d, _)| (1..=2).contains(d))
        .map(|(_, name)| name)
}

/// The position of a column in [`COLUMNS`].
pub fn position(col: Col) -> usize {
    COLUMNS.iter().position(|c| c.col == col).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_names_point_to_the_column_meant() {
        assert_eq!(nearest("categoryOptionCombos"), Some("categoryOptionCombo"));
        assert_eq!(nearest("programIndicatr"), Some("programIndicator"));
        assert_eq!(
            nearest("Data element"),
            None,
            "a known name is no misspelling"
        );
        assert_eq!(nearest("comments"), None, "far from every column");
        assert_eq!(nearest("id"), None, "too short to guess");
        assert_eq!(nearest("Notes"), None, "a column for people");
    }

    #[test]
    fn names_and_aliases_are_read() {
        assert_eq!(column("Program Indicator"), Some(Col::Source));
        assert_eq!(column("DX"), Some(Col::Source));
        assert_eq!(column("data_element_code"), Some(Col::DataElement));
        assert_eq!(column("COC"), Some(Col::Coc));
        assert_eq!(column("Notes"), None, "for people");
        assert_eq!(column("comments"), None);
        assert_eq!(position(Col::Enabled), 10);
    }
}
