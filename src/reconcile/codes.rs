//! What DHIS2's data value import error codes mean, and what to do about each: the ≤ 2.42
//! importer's E76xx (dhis2-core 2.42 `ErrorCode`, raised by `DataValueSetImportValidator`) and
//! the 2.43+ data entry pipeline's E80xx (whole group) and E81xx (one value) codes (2.43
//! `ErrorCode`, raised by `DefaultDataEntryService`). docs/dhis2-rules.md has the sources.

/// Code, meaning, what to do.
const CODES: &[(&str, &str, &str)] = &[
    (
        "E7600",
        "data set not found or not accessible",
        "check the data set id and sharing",
    ),
    (
        "E7601",
        "no write access to the data set",
        "share the data set with the importing user (data write)",
    ),
    (
        "E7603",
        "org unit not found or not accessible",
        "check the org unit ids and --org-unit-scheme",
    ),
    (
        "E7612",
        "org unit not found or not accessible",
        "check the org unit ids and --org-unit-scheme",
    ),
    (
        "E7604",
        "attribute option combo not found or not writable",
        "check the mapping's attributeOptionCombo and its sharing",
    ),
    (
        "E7615",
        "attribute option combo not found or not writable",
        "check the mapping's attributeOptionCombo and its sharing",
    ),
    (
        "E7610",
        "data element not found or not accessible",
        "check the mapping's dataElement codes against the HMIS (mapping check --target-metadata)",
    ),
    ("E7611", "period not valid", "check the export's periods"),
    (
        "E7613",
        "category option combo not found or not writable",
        "check the mapping's categoryOptionCombo",
    ),
    (
        "E7614",
        "a category option is not accessible to the importing user",
        "share the category option (data write)",
    ),
    (
        "E7616",
        "a category option is not accessible to the importing user",
        "share the category option (data write)",
    ),
    (
        "E7617",
        "org unit outside the importing user's hierarchy",
        "give the user data capture access to that org unit",
    ),
    (
        "E7618",
        "value or comment missing",
        "values without a value are not written by pi2de; check the file was not edited",
    ),
    (
        "E7619",
        "value does not match the data element's value type",
        "set valueType in the mapping so pi2de checks it",
    ),
    (
        "E7620",
        "invalid comment",
        "shorten the comment (--comment)",
    ),
    (
        "E7621",
        "value is not an option of the option set",
        "map to the option codes DHIS2 expects",
    ),
    (
        "E7630",
        "category or attribute option combo required but missing",
        "fill the combo in the mapping",
    ),
    (
        "E7631",
        "category or attribute option combo required but missing",
        "fill the combo in the mapping",
    ),
    (
        "E7632",
        "period type not valid for the data element",
        "the data element's data sets have another period type",
    ),
    (
        "E7633",
        "data element not in the data set",
        "add it to the data set, or fix the mapping's dataSet",
    ),
    (
        "E7634",
        "category option combo not in the data element's category combo",
        "fix the mapping's categoryOptionCombo",
    ),
    (
        "E7635",
        "attribute option combo not in the data set's category combo",
        "fix the mapping's attributeOptionCombo",
    ),
    (
        "E7636",
        "data element not assigned to the org unit through a data set",
        "assign the org unit to the data set",
    ),
    (
        "E7637",
        "invalid storedBy",
        "pi2de writes none; check the file was not edited",
    ),
    (
        "E7638",
        "period outside the attribute option's dates",
        "check the attribute option's start and end dates",
    ),
    (
        "E7639",
        "org unit not valid for the attribute option combo",
        "check the attribute option's org units",
    ),
    (
        "E7640",
        "period past the data set's expiry days",
        "import with a user who may edit expired periods, or extend expiry days",
    ),
    (
        "E7641",
        "period after the latest open future period",
        "wait for the period, or raise openFuturePeriods",
    ),
    ("E7642", "data already approved", "unapprove the data first"),
    (
        "E7643",
        "period not open for the data set (data input periods)",
        "open the period in the data set's input periods",
    ),
    (
        "E7644",
        "period not open for the data set (data input periods)",
        "open the period in the data set's input periods",
    ),
    (
        "E8000",
        "atomic import stopped at the first invalid value",
        "fix the values named, or import without atomic mode",
    ),
    (
        "E8002",
        "data set detection failed: several data sets",
        "split the output by data set (--split-by data-set)",
    ),
    (
        "E8003",
        "data set detection failed: a data element in no data set",
        "add the data element to a data set, or fix the mapping",
    ),
    (
        "E8004",
        "data set not found",
        "check the dataSet ids of the output",
    ),
    (
        "E8005",
        "data set not found",
        "check the dataSet ids of the output",
    ),
    (
        "E8010",
        "no data write access to the data set",
        "share the data set with the importing user",
    ),
    (
        "E8011",
        "no data write access to an org unit",
        "give the user data capture access to the org units",
    ),
    (
        "E8012",
        "no data write access to a category option",
        "share the category options (data write)",
    ),
    (
        "E8020",
        "data elements not in the data set",
        "fix the mapping's dataSet, or add the data elements",
    ),
    (
        "E8021",
        "periods of another period type than the data set's",
        "check the periods and the data set",
    ),
    (
        "E8022",
        "org units not assigned to the data set",
        "assign them, or leave their values out",
    ),
    (
        "E8023",
        "attribute option combos not of the data set's category combo",
        "fix the mapping's attributeOptionCombo",
    ),
    (
        "E8024",
        "category option combos not of the data element's category combo in the data set",
        "fix the mapping's categoryOptionCombo",
    ),
    (
        "E8025",
        "attribute option combo not usable with the org units",
        "check the attribute options' org units",
    ),
    (
        "E8030",
        "period not open for the data set (expiry, future periods or input periods)",
        "see docs/dhis2-rules.md; import with a user who may edit expired periods",
    ),
    (
        "E8031",
        "org unit closed (or not yet opened) in the period",
        "check the org unit's opening and closed dates",
    ),
    (
        "E8032",
        "period outside the attribute options' dates",
        "check the attribute options' start and end dates",
    ),
    ("E8033", "data already approved", "unapprove the data first"),
    (
        "E8100",
        "a value lacks its period, data element or org unit",
        "check the file was not edited",
    ),
    (
        "E8102",
        "a value lacks its period, data element or org unit",
        "check the file was not edited",
    ),
    (
        "E8105",
        "a value lacks its period, data element or org unit",
        "check the file was not edited",
    ),
    (
        "E8101",
        "category options need a data set to be decoded",
        "split the output by data set",
    ),
    (
        "E8103",
        "an id was not found under the id scheme given",
        "check the id schemes of the import and the mapping's codes",
    ),
    (
        "E8107",
        "an id was not found under the id scheme given",
        "check the id schemes of the import and the mapping's codes",
    ),
    (
        "E8108",
        "an id was not found under the id scheme given",
        "check the id schemes of the import and the mapping's codes",
    ),
    (
        "E8110",
        "an id was not found under the id scheme given",
        "check the id schemes of the import and the mapping's codes",
    ),
    (
        "E8104",
        "an id is not a valid UID",
        "import with the code id scheme, or map to UIDs",
    ),
    (
        "E8106",
        "an id is not a valid UID",
        "import with the code id scheme, or map to UIDs",
    ),
    (
        "E8109",
        "an id is not a valid UID",
        "import with the code id scheme, or map to UIDs",
    ),
    (
        "E8111",
        "an id is not a valid UID",
        "import with the code id scheme, or map to UIDs",
    ),
    (
        "E8126",
        "attribute category combo or option combo not found",
        "check the attribute options of the values",
    ),
    (
        "E8127",
        "attribute category combo or option combo not found",
        "check the attribute options of the values",
    ),
    (
        "E8120",
        "value (or comment) required",
        "pi2de writes no empty values; check the file was not edited",
    ),
    (
        "E8121",
        "value (or comment) required",
        "pi2de writes no empty values; check the file was not edited",
    ),
    (
        "E8122",
        "value not valid for the data element's value type",
        "set valueType in the mapping so pi2de checks it",
    ),
    (
        "E8123",
        "value not an option of the option set",
        "map to the option codes DHIS2 expects",
    ),
    (
        "E8124",
        "comment not allowed or too long",
        "check --comment",
    ),
    (
        "E8125",
        "comment not allowed or too long",
        "check --comment",
    ),
    (
        "E8128",
        "several values for the same key: the whole group is rejected",
        "pi2de never writes one key twice; check the files were not combined",
    ),
];

/// The meaning of a code, and a hint; `None` for a code pi2de does not know.
pub fn meaning(code: &str) -> Option<(&'static str, &'static str)> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|&(_, meaning, hint)| (meaning, hint))
}
