//! The objects of a DHIS2 metadata export that pi2de reads, with only the fields it uses
//! (names as in DHIS2's `/api/metadata` JSON).

use serde::Deserialize;

use crate::period::Date;
use crate::read::json::text;

/// A reference to another object: `{"id": "…"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Ref {
    #[serde(default)]
    pub id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValue {
    #[serde(default)]
    pub attribute: Ref,
    #[serde(default, deserialize_with = "text")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProgramIndicator {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub program: Option<Ref>,
    pub attribute_values: Vec<AttributeValue>,
    pub aggregate_export_category_option_combo: Option<String>,
    pub aggregate_export_attribute_option_combo: Option<String>,
    pub aggregate_export_data_element: Option<String>,
    /// 2.42+ disaggregation: the combo whose option combos the export's COCs are.
    pub category_combo: Option<Ref>,
    /// 2.42+ disaggregation: the combo whose option combos the export's AOCs are.
    pub attribute_combo: Option<Ref>,
    /// 2.42+: the program's category mappings this indicator uses.
    pub category_mapping_ids: Vec<String>,
}

impl ProgramIndicator {
    /// The value of attribute `attribute`, when set and not blank.
    pub fn attribute(&self, attribute: &str) -> Option<&str> {
        self.attribute_values
            .iter()
            .find(|a| a.attribute.id == attribute)
            .and_then(|a| a.value.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataElement {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub value_type: Option<String>,
    pub category_combo: Option<Ref>,
    /// A zero is stored (DHIS2's default: false, a zero is not worth storing).
    pub zero_is_significant: bool,
    /// How analytics aggregates it (`SUM`, `AVERAGE`, `LAST`…).
    pub aggregation_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CategoryCombo {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub categories: Vec<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub category_options: Vec<Ref>,
}

/// One option of a program category mapping: the events its filter matches count for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProgramCategoryOptionMapping {
    pub option_id: String,
    pub filter: String,
}

/// A program's mapping of one category to event filters (2.42+ `Program.categoryMappings`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProgramCategoryMapping {
    pub id: String,
    pub category_id: String,
    pub mapping_name: String,
    pub option_mappings: Vec<ProgramCategoryOptionMapping>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Program {
    pub id: String,
    pub name: String,
    pub category_mappings: Vec<ProgramCategoryMapping>,
}

/// The `package` block of a WHO metadata package.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Package {
    #[serde(rename = "DHIS2Version", deserialize_with = "text")]
    pub dhis2_version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CategoryOptionCombo {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub category_combo: Option<Ref>,
    pub category_options: Vec<Ref>,
}

/// A category option: its validity dates and the org units it is restricted to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CategoryOption {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub start_date: Option<String>,
    #[serde(deserialize_with = "text")]
    pub end_date: Option<String>,
    pub organisation_units: Vec<Ref>,
}

/// A data element, with a category option combo or without (any).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Operand {
    pub data_element: Ref,
    pub category_option_combo: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataSetElement {
    pub data_element: Ref,
    /// The data set's own category combo for this data element, overriding the element's.
    pub category_combo: Option<Ref>,
}

/// A period in which a data set takes data (`dataInputPeriods`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataInputPeriod {
    pub period: Ref,
    #[serde(deserialize_with = "text")]
    pub opening_date: Option<String>,
    #[serde(deserialize_with = "text")]
    pub closing_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataSet {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub period_type: Option<String>,
    pub category_combo: Option<Ref>,
    /// The data approval workflow (`--approvals` applies to data sets that have one).
    pub workflow: Option<Ref>,
    /// The operands a registration needs stored values of (`--complete`).
    pub compulsory_data_element_operands: Vec<Operand>,
    /// A registration lacking a compulsory operand is skipped (else registered with a conflict).
    pub compulsory_fields_complete_only: bool,
    pub data_set_elements: Vec<DataSetElement>,
    pub organisation_units: Vec<Ref>,
    /// Days after a period's end during which it takes data; 0 or less: no limit.
    pub expiry_days: f64,
    pub open_future_periods: i64,
    pub open_periods_after_co_end_date: i64,
    pub data_input_periods: Vec<DataInputPeriod>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrganisationUnit {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    /// `/uid/uid/…` from the root.
    pub path: Option<String>,
    /// 1 for the root.
    pub level: Option<u32>,
    pub parent: Option<Ref>,
    pub attribute_values: Vec<AttributeValue>,
    #[serde(deserialize_with = "text")]
    pub opening_date: Option<String>,
    #[serde(deserialize_with = "text")]
    pub closed_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Named {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
}

/// The exporting instance (`system` block of an `/api/metadata` export).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct System {
    #[serde(deserialize_with = "text")]
    pub version: Option<String>,
}

/// A metadata date or date-time (`2024-01-31T00:00:00.000`): the day, and whether a time of day
/// after midnight was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub date: Date,
    pub midnight: bool,
}

impl Moment {
    pub fn parse(s: Option<&str>) -> Option<Moment> {
        let s = s?.trim();
        let date = Date::parse(s.get(..10)?)?;
        let time = s.get(11..).unwrap_or("");
        let midnight = time
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b':' || *b == b'.')
            .all(|b| b == b'0' || b == b':' || b == b'.');
        Some(Moment { date, midnight })
    }
}

/// One side of a validation rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuleSide {
    pub expression: String,
    pub missing_value_strategy: Option<String>,
    pub description: Option<String>,
}

/// A validation rule (`validationRules`): left side, operator, right side.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValidationRule {
    pub id: String,
    pub name: String,
    pub period_type: Option<String>,
    pub operator: String,
    pub importance: Option<String>,
    pub left_side: RuleSide,
    pub right_side: RuleSide,
    /// Levels of the org units the rule applies to; none: every level.
    pub organisation_unit_levels: Vec<u32>,
}
