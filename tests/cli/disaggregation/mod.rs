//! DHIS2 2.42+ program indicator disaggregation: tracker metadata in the shape of dhis2-core's
//! e2e test (`AnalyticsPiDisaggregationTest`), an HMIS with the same categories under other
//! UIDs, and the export as `/api/analytics/dataValueSet` writes it.

use super::*;

mod crosswalk;
mod lint;
use serde_json::json;

const FEMALE: &str = "apsOixVZlf1";
const MALE: &str = "jRbMi0aBjYn";
/// Gender options (tracker UID, code, HMIS UID, HMIS name): matched by code only.
const GENDERS: [(&str, &str, &str, &str); 2] = [
    (FEMALE, "FEMALE", "HmFemale001", "Woman"),
    (MALE, "MALE", "HmMale00001", "Man"),
];
/// Weight options (tracker UID, tracker name, HMIS UID, HMIS name): no codes, matched by name.
const WEIGHTS: [(&str, &str, &str, &str); 3] = [
    ("weight00055", "55 Kg", "HmW55000001", "55 kg"),
    ("weightOther", "Other weight", "HmWOther001", "Other Weight"),
    (
        "weightMissi",
        "Missing weight",
        "HmWMissi001",
        "missing weight",
    ),
];

/// A weight's part of an option combo UID, as the e2e test makes them: `%04d` or `%.4s`.
fn short(weight: &str) -> &str {
    let tail = &weight[6..];
    if tail.bytes().all(|b| b.is_ascii_digit()) {
        &tail[tail.len() - 4..]
    } else {
        &tail[..4]
    }
}

/// The tracker COC UID of a gender × weight, as the e2e test makes them (`cocFema0055`).
fn tracker_coc(gender: &str, weight: &str) -> String {
    let g = if gender == FEMALE { "Fema" } else { "Male" };
    format!("coc{g}{}", short(weight))
}

/// The HMIS COC code of a gender × weight (`F_0055`).
fn hmis_coc_code(gender: &str, weight: &str) -> String {
    let g = if gender == FEMALE { "F" } else { "M" };
    format!("{g}_{}", short(weight))
}

fn refs(ids: &[&str]) -> serde_json::Value {
    serde_json::Value::Array(ids.iter().map(|id| json!({ "id": id })).collect())
}

/// Options for the program's category mappings: `(optionId, filter)`.
fn option_mappings(options: &[&str]) -> serde_json::Value {
    serde_json::Value::Array(
        options
            .iter()
            .map(|o| json!({"optionId": o, "filter": format!("#{{Zj7UnCAulEk.vV9UWAZohSf}} == '{o}'")}))
            .collect(),
    )
}

/// Tracker metadata as the e2e test posts it, with `edit` applied to the JSON.
fn tracker_metadata(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let weights: Vec<&str> = WEIGHTS.iter().map(|w| w.0).collect();
    let mut cocs = Vec::new();
    for (g, gcode, _, _) in GENDERS {
        for (w, wname, _, _) in WEIGHTS {
            cocs.push(json!({
                "id": tracker_coc(g, w), "name": format!("{gcode}, {wname}"),
                "categoryCombo": {"id": "HohH2ii7sah"},
                "categoryOptions": [{"id": g}, {"id": w}]
            }));
        }
    }
    cocs.push(json!({"id": "HllvX50cXC0", "name": "default", "categoryCombo": {"id": "bjDvmb4bfuf"}, "categoryOptions": [{"id": "xYerKDKCefk"}]}));
    let mut options: Vec<serde_json::Value> = GENDERS
        .iter()
        .map(|(id, code, _, _)| json!({"id": id, "code": code, "name": if *code == "FEMALE" {"Female"} else {"Male"}}))
        .collect();
    options.extend(
        WEIGHTS
            .iter()
            .map(|(id, name, _, _)| json!({"id": id, "name": name})),
    );
    let mut v = json!({
        "system": {"version": "2.42.5"},
        "categories": [
            {"id": "cX5k9anHEHd", "name": "Gender", "code": "GENDER", "categoryOptions": refs(&[FEMALE, MALE])},
            {"id": "fAe1g4o6ngo", "name": "Weight in Kilograms", "categoryOptions": refs(&weights)}
        ],
        "categoryCombos": [
            {"id": "HohH2ii7sah", "name": "Gender + Weight in Kilograms", "categories": refs(&["cX5k9anHEHd", "fAe1g4o6ngo"])},
            {"id": "bjDvmb4bfuf", "name": "default", "categories": refs(&["GLevLNI9wkl"])}
        ],
        "categoryOptions": options,
        "categoryOptionCombos": cocs,
        "programs": [{
            "id": "eBAyeGv0exc", "name": "Inpatient morbidity and mortality",
            "categoryMappings": [
                {"id": "gIgiL8ow0bi", "categoryId": "cX5k9anHEHd", "mappingName": "Gender mapping", "optionMappings": option_mappings(&[FEMALE, MALE])},
                {"id": "aooDie1Fie4", "categoryId": "fAe1g4o6ngo", "mappingName": "Weight mapping", "optionMappings": option_mappings(&weights)}
            ]
        }],
        "programIndicators": [{
            "id": "Ham7uPo9cah", "name": "Inpatient morbidity and mortality cases",
            "program": {"id": "eBAyeGv0exc"},
            "categoryCombo": {"id": "HohH2ii7sah"}, "attributeCombo": {"id": "bjDvmb4bfuf"},
            "aggregateExportDataElement": "HmDe0000001",
            "categoryMappingIds": ["gIgiL8ow0bi", "aooDie1Fie4"]
        }]
    });
    edit(&mut v);
    v.to_string()
}

/// The HMIS: the same categories under other UIDs, genders known by code, weights by name.
fn hmis_metadata() -> String {
    let mut cocs = Vec::new();
    for (g, _, hg, hgname) in GENDERS {
        for (w, _, hw, hwname) in WEIGHTS {
            cocs.push(json!({
                "id": format!("HmCoc{}", hmis_coc_code(g, w).replace('_', "")),
                "code": hmis_coc_code(g, w), "name": format!("{hgname}, {hwname}"),
                "categoryCombo": {"id": "HmCombo0001"},
                "categoryOptions": [{"id": hw}, {"id": hg}]
            }));
        }
    }
    cocs.push(json!({"id": "HllvX50cXC0", "name": "default", "code": "default", "categoryCombo": {"id": "bjDvmb4bfuf"}, "categoryOptions": [{"id": "xYerKDKCefk"}]}));
    let mut options: Vec<serde_json::Value> = GENDERS
        .iter()
        .map(|(_, code, id, name)| json!({"id": id, "code": code, "name": name}))
        .collect();
    options.extend(
        WEIGHTS
            .iter()
            .map(|(_, _, id, name)| json!({"id": id, "name": name})),
    );
    json!({
        "system": {"version": "2.41.6"},
        "categories": [
            {"id": "HmGender001", "name": "Sex", "code": "GENDER", "categoryOptions": refs(&["HmFemale001", "HmMale00001"])},
            {"id": "HmWeight001", "name": "Weight in kilograms", "categoryOptions": refs(&["HmW55000001", "HmWOther001", "HmWMissi001"])}
        ],
        "categoryCombos": [
            {"id": "HmCombo0001", "name": "Sex and weight", "categories": refs(&["HmGender001", "HmWeight001"])},
            {"id": "bjDvmb4bfuf", "name": "default"}
        ],
        "categoryOptions": options,
        "categoryOptionCombos": cocs,
        "dataElements": [{"id": "HmDe0000001", "code": "INPATIENT_CASES", "name": "Inpatient cases", "valueType": "NUMBER", "categoryCombo": {"id": "HmCombo0001"}}],
        "dataSets": [{"id": "HmDs0000001", "code": "INPATIENT", "name": "Inpatient", "periodType": "Yearly",
            "categoryCombo": {"id": "bjDvmb4bfuf"},
            "dataSetElements": [{"dataElement": {"id": "HmDe0000001"}}],
            "organisationUnits": [{"id": "DiszpKrYNg8"}]}],
        "organisationUnits": [{"id": "DiszpKrYNg8", "name": "Ngelehun CHC", "path": "/ImspTQPwCqd/DiszpKrYNg8", "level": 2}]
    })
    .to_string()
}

/// The export as `/api/analytics/dataValueSet.json` writes it: the tracker's COC UIDs.
fn export(values: &[(&str, &str, &str)]) -> String {
    let rows: Vec<serde_json::Value> = values
        .iter()
        .map(|(g, w, v)| {
            json!({"dataElement": "HmDe0000001", "period": "2021", "orgUnit": "DiszpKrYNg8",
                   "categoryOptionCombo": tracker_coc(g, w), "value": v})
        })
        .collect();
    json!({ "dataValues": rows }).to_string()
}

/// A workbook as [`read_workbook`] reads it.
type Sheets = Vec<(String, Vec<Vec<String>>)>;

fn propose(dir: &Workdir, tracker: &str) -> (PathBuf, Sheets) {
    propose_with(dir, tracker, &hmis_metadata())
}

fn propose_with(dir: &Workdir, tracker: &str, hmis: &str) -> (PathBuf, Sheets) {
    let trk = dir.write("tracker.json", tracker);
    let hmis = dir.write("hmis.json", hmis);
    let out = from_metadata(dir, &trk, Some(&hmis), "mapping.xlsx");
    let wb = read_workbook(&out);
    (out, wb)
}

/// The findings sheet's messages.
fn messages(wb: &[(String, Vec<Vec<String>>)]) -> Vec<String> {
    sheet(wb, "findings")[1..]
        .iter()
        .map(|r| format!("{}: {}: {}", r[0], r[1], r[2]))
        .collect()
}

#[test]
fn disaggregated_indicator_maps_every_tracker_option_combo_to_the_hmis_one_with_its_options() {
    let dir = Workdir::new();
    let (mapping, wb) = propose(&dir, &tracker_metadata(|_| {}));
    let m = sheet(&wb, "mapping");
    assert_eq!(m[0], MAPPING_HEADER);
    assert_eq!(m.len() - 1, 6, "one row per tracker option combo: {m:?}");
    for (g, _, _, _) in GENDERS {
        for (w, _, _, _) in WEIGHTS {
            let row = row_where(m, "sourceCategoryOptionCombo", &tracker_coc(g, w));
            assert_eq!(col(m, row, "programIndicator"), "Ham7uPo9cah");
            assert_eq!(col(m, row, "exportedDataElement"), "HmDe0000001");
            assert_eq!(col(m, row, "dataElement"), "INPATIENT_CASES");
            assert_eq!(col(m, row, "categoryOptionCombo"), hmis_coc_code(g, w));
            assert_eq!(col(m, row, "dataSet"), "INPATIENT");
        }
    }
    assert!(
        messages(&wb).iter().all(|f| !f.starts_with("error")),
        "{:?}",
        messages(&wb)
    );

    // convert: every value once, under the HMIS option combo with the same options.
    let values = [
        (FEMALE, "weight00055", "1.0"),
        (FEMALE, "weightOther", "22.0"),
        (MALE, "weight00055", "3.0"),
        (MALE, "weightOther", "22.0"),
        (FEMALE, "weightMissi", "4.0"),
        (MALE, "weightMissi", "5.0"),
    ];
    let input = dir.write("export.json", &export(&values));
    let out = dir.file("hmis-import.json");
    let (code, summary, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--target-metadata",
        s(&dir.file("hmis.json")),
        "--as-of",
        "2022-01-15",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let written: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let mut got: Vec<(String, String, f64)> = written["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["dataElement"].as_str().unwrap().to_string(),
                v["categoryOptionCombo"].as_str().unwrap().to_string(),
                v["value"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut want: Vec<(String, String, f64)> = values
        .iter()
        .map(|(g, w, v)| {
            (
                "INPATIENT_CASES".to_string(),
                hmis_coc_code(g, w),
                v.parse().unwrap(),
            )
        })
        .collect();
    want.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(got, want, "{summary}");

    // request asks analytics for the program indicator, never the exported data element.
    let out = pi2de()
        .args([
            "request",
            "-m",
            s(&mapping),
            "--periods",
            "2021..2021",
            "--target-metadata",
            s(&dir.file("hmis.json")),
            "--org-unit",
            "DiszpKrYNg8",
            "--urls-only",
        ])
        .output()
        .unwrap();
    let urls = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{urls}");
    assert!(urls.contains("dx:Ham7uPo9cah"), "{urls}");
    assert!(!urls.contains("HmDe0000001"), "{urls}");
}

#[test]
fn without_target_metadata_the_rows_keep_the_tracker_option_combos_and_say_so() {
    let dir = Workdir::new();
    let trk = dir.write("tracker.json", &tracker_metadata(|_| {}));
    let out = from_metadata(&dir, &trk, None, "m.xlsx");
    let wb = read_workbook(&out);
    let m = sheet(&wb, "mapping");
    assert_eq!(m.len() - 1, 6);
    let row = row_where(m, "sourceCategoryOptionCombo", "cocMaleOthe");
    assert_eq!(col(m, row, "categoryOptionCombo"), "cocMaleOthe");
    assert!(col(m, row, "notes").contains("no target metadata"));
}

#[test]
fn an_option_the_hmis_lacks_is_a_finding_naming_both_sides() {
    let dir = Workdir::new();
    // A tracker weight option whose name the HMIS does not know.
    let (_, wb) = propose(
        &dir,
        &tracker_metadata(|v| {
            v["categoryOptions"][4]["name"] = json!("Weight not taken");
        }),
    );
    let f = messages(&wb);
    let hits: Vec<&String> = f
        .iter()
        .filter(|m| m.contains("Weight not taken (weightMissi)") && m.contains("no HMIS option"))
        .collect();
    assert_eq!(hits.len(), 2, "one per gender: {f:?}");
    assert!(hits[0].starts_with("error: programIndicators[Ham7uPo9cah]"));
    assert!(hits[0].contains("HMIS data element INPATIENT_CASES"));
}

#[test]
fn an_ambiguous_option_is_a_finding_listing_the_candidates() {
    let dir = Workdir::new();
    // Two HMIS weight options carry the name of the tracker's "Other weight".
    let hmis = hmis_metadata().replace("missing weight", "other weight");
    let (_, wb) = propose_with(&dir, &tracker_metadata(|_| {}), &hmis);
    let f = messages(&wb);
    assert!(
        f.iter().any(|m| m.contains("Other weight (weightOther)")
            && m.contains("matches 2 HMIS options by name")
            && m.contains("HmWOther001")
            && m.contains("HmWMissi001")),
        "{f:?}"
    );
}
