//! The data model shared by readers, the rules and writers: a source `DataValue` as read from
//! an export and where it was read, the defaults a payload header carries, the export formats,
//! and the hex form of digests.

use std::path::Path;

use crate::ids::IdScheme;

/// One `dataValue` as read from an export, borrowed from the reader's buffers.
/// Absent fields are empty strings (DHIS2 treats a blank COC/AOC as the default combo).
#[derive(Debug, Clone, Copy, Default)]
pub struct DataValue<'a> {
    pub data_element: &'a str,
    pub period: &'a str,
    pub org_unit: &'a str,
    pub category_option_combo: &'a str,
    pub attribute_option_combo: &'a str,
    /// `None` when the value is absent or null.
    pub value: Option<&'a str>,
    /// Marked `deleted=true`: a deletion of the value at this key, not a value.
    pub deleted: bool,
    /// What the HMIS's own export says of the value besides it (`--current`, `compare`).
    pub audit: Audit<'a>,
    /// Where the value was read: record number (1-based) and, where known, the line.
    pub place: Place,
}

/// The fields of a stored value that an HMIS export carries and analytics does not: the
/// comment and follow-up flag (which every import overwrites), who stored it, when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audit<'a> {
    pub comment: Option<&'a str>,
    /// As written: `true`, `false`.
    pub followup: Option<&'a str>,
    pub stored_by: Option<&'a str>,
    pub last_updated: Option<&'a str>,
}

impl<'a> Audit<'a> {
    /// The fields in a fixed order (comment, followup, storedBy, lastUpdated).
    pub fn fields(&self) -> [Option<&'a str>; 4] {
        [
            self.comment,
            self.followup,
            self.stored_by,
            self.last_updated,
        ]
    }

    pub fn from_fields(f: [Option<&'a str>; 4]) -> Audit<'a> {
        let [comment, followup, stored_by, last_updated] = f;
        Audit {
            comment,
            followup,
            stored_by,
            last_updated,
        }
    }
}

impl DataValue<'_> {
    /// The value's key as read.
    pub fn key(&self) -> crate::ids::KeyText {
        crate::ids::KeyText {
            data_element: self.data_element.into(),
            period: self.period.into(),
            org_unit: self.org_unit.into(),
            category_option_combo: self.category_option_combo.into(),
            attribute_option_combo: self.attribute_option_combo.into(),
        }
    }
}

/// Where in an input a value was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Place {
    /// The value's number in its file, counting from 1.
    pub record: u64,
    /// The line it starts on, for line-oriented formats.
    pub line: Option<u64>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line} (value {})", self.record),
            None => write!(f, "value {}", self.record),
        }
    }
}

/// The payload-level fields of a dataValueSet (`dataSet`, `period`, `orgUnit`,
/// `attributeOptionCombo`, id schemes). Values that lack a field take it from here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub data_set: Option<String>,
    pub period: Option<String>,
    pub org_unit: Option<String>,
    pub attribute_option_combo: Option<String>,
    pub id_scheme: Option<String>,
    pub data_element_id_scheme: Option<String>,
    pub org_unit_id_scheme: Option<String>,
    pub category_option_combo_id_scheme: Option<String>,
    pub attribute_option_combo_id_scheme: Option<String>,
}

impl Header {
    /// True for the payload keys a header holds.
    pub fn is_key(key: &str) -> bool {
        matches!(
            key,
            "dataSet"
                | "period"
                | "orgUnit"
                | "attributeOptionCombo"
                | "idScheme"
                | "dataElementIdScheme"
                | "orgUnitIdScheme"
                | "categoryOptionComboIdScheme"
                | "attributeOptionComboIdScheme"
        )
    }

    /// Sets a header field from a payload key (JSON key or XML root attribute). Returns false for
    /// keys that are not header fields.
    pub fn set(&mut self, key: &str, value: String) -> bool {
        let slot = match key {
            "dataSet" => &mut self.data_set,
            "period" => &mut self.period,
            "orgUnit" => &mut self.org_unit,
            "attributeOptionCombo" => &mut self.attribute_option_combo,
            "idScheme" => &mut self.id_scheme,
            "dataElementIdScheme" => &mut self.data_element_id_scheme,
            "orgUnitIdScheme" => &mut self.org_unit_id_scheme,
            "categoryOptionComboIdScheme" => &mut self.category_option_combo_id_scheme,
            "attributeOptionComboIdScheme" => &mut self.attribute_option_combo_id_scheme,
            _ => return false,
        };
        *slot = Some(value);
        true
    }

    /// Fills the fields of `v` that are blank from this header's defaults.
    pub fn apply<'a>(&'a self, v: &mut DataValue<'a>) {
        fill(&mut v.period, &self.period);
        fill(&mut v.org_unit, &self.org_unit);
        fill(&mut v.attribute_option_combo, &self.attribute_option_combo);
    }

    /// The declared scheme for data elements (specific, else general).
    pub fn data_element_scheme(&self) -> Option<IdScheme> {
        scheme(&[&self.data_element_id_scheme, &self.id_scheme])
    }

    /// The declared scheme for category option combos (specific, else general).
    pub fn category_option_combo_scheme(&self) -> Option<IdScheme> {
        scheme(&[&self.category_option_combo_id_scheme, &self.id_scheme])
    }

    /// The declared scheme for attribute option combos; DHIS2 ≤ 2.42 uses the COC scheme.
    pub fn attribute_option_combo_scheme(&self) -> Option<IdScheme> {
        scheme(&[
            &self.attribute_option_combo_id_scheme,
            &self.category_option_combo_id_scheme,
            &self.id_scheme,
        ])
    }

    /// The declared scheme for org units (specific, else general).
    pub fn org_unit_scheme(&self) -> Option<IdScheme> {
        scheme(&[&self.org_unit_id_scheme, &self.id_scheme])
    }
}

/// The first declared scheme among `candidates`.
fn scheme(candidates: &[&Option<String>]) -> Option<IdScheme> {
    candidates
        .iter()
        .find_map(|c| c.as_deref())
        .and_then(IdScheme::parse)
}

fn fill<'a>(field: &mut &'a str, default: &'a Option<String>) {
    if field.is_empty()
        && let Some(d) = default
    {
        *field = d.as_str();
    }
}

/// A column name compared ignoring case, spaces, `_` and `-` (`Data_Element` → `dataelement`).
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{a0}'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_defaults_fill_blanks_only() {
        let mut h = Header::default();
        assert!(h.set("period", "202401".into()));
        assert!(h.set("orgUnit", "OU_A".into()));
        assert!(!h.set("completeDate", "2024-01-01".into()));
        let mut v = DataValue {
            org_unit: "OU_B",
            ..Default::default()
        };
        h.apply(&mut v);
        assert_eq!(v.period, "202401");
        assert_eq!(v.org_unit, "OU_B");
        assert_eq!(v.attribute_option_combo, "");
    }

    #[test]
    fn is_key_names_exactly_the_keys_set_takes() {
        for key in [
            "dataSet",
            "period",
            "orgUnit",
            "attributeOptionCombo",
            "idScheme",
            "dataElementIdScheme",
            "orgUnitIdScheme",
            "categoryOptionComboIdScheme",
            "attributeOptionComboIdScheme",
            "completeDate",
            "dataValues",
            "strategy",
        ] {
            assert_eq!(
                Header::is_key(key),
                Header::default().set(key, String::new()),
                "{key}"
            );
        }
    }

    #[test]
    fn aoc_scheme_falls_back_to_coc_scheme() {
        let mut h = Header::default();
        h.set("categoryOptionComboIdScheme", "code".into());
        assert_eq!(h.attribute_option_combo_scheme(), Some(IdScheme::Code));
        assert_eq!(h.data_element_scheme(), None);
    }
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Xml,
    Csv,
}

impl Format {
    /// The format named by a file extension (`.json`, `.xml`, `.csv`, any case).
    pub fn from_extension(path: &str) -> Option<Format> {
        let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
            Format::Csv => "CSV",
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
