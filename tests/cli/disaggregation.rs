//! DHIS2 2.42+ program indicator disaggregation: tracker metadata in the shape of dhis2-core's
//! e2e test (`AnalyticsPiDisaggregationTest`), an HMIS with the same categories under other
//! UIDs, and the export as `/api/analytics/dataValueSet` writes it.

use super::*;
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

/// Findings of `mapping check --tracker-metadata` for a tracker set-up.
fn lint(tracker: &str) -> (i32, String) {
    let dir = Workdir::new();
    let trk = dir.write("tracker.json", tracker);
    let mapping = from_metadata(&dir, &trk, None, "m.xlsx");
    let out = pi2de()
        .args([
            "mapping",
            "check",
            s(&mapping),
            "--tracker-metadata",
            s(&trk),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // from-metadata wrote the same lint findings on its findings sheet.
    let proposed = read_workbook(&mapping);
    let written = if proposed.iter().any(|(n, _)| n == "findings") {
        messages(&proposed).join("\n")
    } else {
        String::new()
    };
    for key in [
        "E4071",
        "E4072",
        "E4073",
        "E4074",
        "E4075",
        "E4076",
        "E4077",
        "E4079",
        "DHIS2-",
        "no option mapping",
    ] {
        assert_eq!(
            stdout.matches(key).count(),
            written.matches(key).count(),
            "{key}: check said\n{stdout}\nfrom-metadata wrote\n{written}"
        );
    }
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn a_sound_set_up_lints_clean() {
    let (code, out) = lint(&tracker_metadata(|_| {}));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 errors"), "{out}");
}

#[test]
fn lint_e4071_mapping_not_in_the_program() {
    let (code, out) = lint(&tracker_metadata(|v| {
        v["programIndicators"][0]["categoryMappingIds"][1] = json!("NoSuchMap01");
    }));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("E4071") && out.contains("NoSuchMap01"),
        "{out}"
    );
    // …and the weight category is then unmapped for the indicator.
    assert!(
        out.contains("E4074") && out.contains("Weight in Kilograms (fAe1g4o6ngo)"),
        "{out}"
    );
}

#[test]
fn lint_e4072_unknown_category() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][1]["categoryId"] = json!("NoSuchCat01");
    }));
    assert!(
        out.contains("E4072") && out.contains("NoSuchCat01"),
        "{out}"
    );
}

#[test]
fn lint_e4073_unknown_option() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][0]["optionMappings"][1]["optionId"] =
            json!("NoSuchOpt01");
    }));
    assert!(
        out.contains("E4073") && out.contains("NoSuchOpt01"),
        "{out}"
    );
    // Male then has no option mapping: its events are never counted.
    assert!(
        out.contains("Male (jRbMi0aBjYn)") && out.contains("no option mapping"),
        "{out}"
    );
}

#[test]
fn lint_e4074_a_program_mapping_the_indicator_does_not_list_does_not_count() {
    let (code, out) = lint(&tracker_metadata(|v| {
        v["programIndicators"][0]["categoryMappingIds"] = json!(["gIgiL8ow0bi"]);
    }));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("E4074")
            && out.contains("the program has one, but the indicator does not list it")
            && out.contains("whole analytics request"),
        "{out}"
    );
}

#[test]
fn lint_e4076_e4077_duplicate_mapping_id_and_name() {
    let (_, out) = lint(&tracker_metadata(|v| {
        let mut again = v["programs"][0]["categoryMappings"][0].clone();
        v["programs"][0]["categoryMappings"]
            .as_array_mut()
            .unwrap()
            .push(again.clone());
        again["id"] = json!("OtherMap001");
        v["programs"][0]["categoryMappings"]
            .as_array_mut()
            .unwrap()
            .push(again);
    }));
    assert!(
        out.contains("E4076") && out.contains("gIgiL8ow0bi"),
        "{out}"
    );
    assert!(
        out.contains("E4077") && out.contains("`Gender mapping`"),
        "{out}"
    );
}

#[test]
fn lint_e4075_mapping_id_not_a_uid_and_names_compared_as_typed() {
    let (_, out) = lint(&tracker_metadata(|v| {
        let mut again = v["programs"][0]["categoryMappings"][0].clone();
        again["id"] = json!("gender-map");
        // DHIS2 compares category + name untrimmed: a trailing space is another name.
        again["mappingName"] = json!("Gender mapping ");
        v["programs"][0]["categoryMappings"]
            .as_array_mut()
            .unwrap()
            .push(again);
    }));
    assert!(
        out.contains("E4075") && out.contains("`gender-map`"),
        "{out}"
    );
    assert!(!out.contains("E4077"), "{out}");
}

#[test]
fn lint_e4079_option_mapped_twice() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][0]["optionMappings"][1]["optionId"] = json!(FEMALE);
    }));
    assert!(
        out.contains("E4079") && out.contains("Female (apsOixVZlf1)"),
        "{out}"
    );
}

#[test]
fn lint_option_without_mapping_drops_its_events() {
    let (code, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][1]["optionMappings"]
            .as_array_mut()
            .unwrap()
            .pop();
    }));
    assert_eq!(code, 0, "a warning, not an error: {out}");
    assert!(
        out.contains("Missing weight (weightMissi)")
            && out.contains("no option mapping")
            && out.contains("no event is ever counted"),
        "{out}"
    );
}

#[test]
fn lint_tracker_version_against_known_bugs() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["system"]["version"] = json!("2.42.0");
    }));
    for bug in ["DHIS2-19663", "DHIS2-21440", "DHIS2-20929", "DHIS2-21513"] {
        assert!(out.contains(bug), "{bug}: {out}");
    }
    assert!(!out.contains("DHIS2-21591"), "a 2.43.0 bug: {out}");
    let (_, fixed) = lint(&tracker_metadata(|_| {}));
    assert!(!fixed.contains("DHIS2-"), "2.42.5 has the fixes: {fixed}");
    // A package's DHIS2Version is what it was built on: only the disaggregation bugs count.
    let (_, package) = lint(&tracker_metadata(|v| {
        v.as_object_mut().unwrap().remove("system");
        v["package"] = json!({"DHIS2Version": "2.42.0"});
    }));
    assert!(package.contains("DHIS2-19663"), "{package}");
    assert!(!package.contains("DHIS2-21513"), "{package}");
}

#[test]
fn lint_categories_that_differ_from_the_hmis_data_element() {
    let dir = Workdir::new();
    let hmis = hmis_metadata().replace(r#""name":"Weight in kilograms""#, r#""name":"Age""#);
    let trk = dir.write("tracker.json", &tracker_metadata(|_| {}));
    let hmis = dir.write("hmis.json", &hmis);
    let out = from_metadata(&dir, &trk, Some(&hmis), "m.xlsx");
    let f = messages(&read_workbook(&out));
    assert!(
        f.iter().any(|m| m.starts_with("warning")
            && m.contains("different categories")
            && m.contains("only in the tracker: Weight in Kilograms (fAe1g4o6ngo)")
            && m.contains("only in the HMIS: Age (HmWeight001)")),
        "{f:?}"
    );
}

#[test]
fn a_hand_mapping_keyed_on_aggregate_export_combo_is_told_its_values_never_come() {
    let dir = Workdir::new();
    let trk = dir.write("tracker.json", &tracker_metadata(|_| {}));
    let csv = dir.write(
        "m.csv",
        "programIndicator,sourceCategoryOptionCombo,dataElement,categoryOptionCombo\n\
         Ham7uPo9cah,HllvX50cXC0,INPATIENT_CASES,F_0055\n",
    );
    pi2de()
        .args(["mapping", "check", s(&csv), "--tracker-metadata", s(&trk)])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "its export carries that combo's option combo UIDs, never sourceCategoryOptionCombo `HllvX50cXC0`",
        ));
}

#[test]
fn compound_attribute_values_split_when_both_parts_resolve() {
    let dir = Workdir::new();
    let trk = dir.write(
        "trk.json",
        r#"{"programIndicators": [
        {"id": "PiDotAAAAAA", "name": "dot", "attributeValues": [{"attribute": {"id": "vudyDP7jUy5"}, "value": "HmDe0000001.HmCocF0055"}]},
        {"id": "PiUnderAAAA", "name": "underscore", "attributeValues": [{"attribute": {"id": "vudyDP7jUy5"}, "value": "INPATIENT_CASES_M_Othe"}]},
        {"id": "PiPlainAAAA", "name": "plain", "attributeValues": [{"attribute": {"id": "vudyDP7jUy5"}, "value": "INPATIENT_CASES"}]},
        {"id": "PiNeitherAA", "name": "neither", "attributeValues": [{"attribute": {"id": "vudyDP7jUy5"}, "value": "NOT_A_DE.NOT_A_COC"}]}]}"#,
    );
    let hmis = dir.write("hmis.json", &hmis_metadata());
    let out = from_metadata(&dir, &trk, Some(&hmis), "m.xlsx");
    let wb = read_workbook(&out);
    let m = sheet(&wb, "mapping");
    let cells = |pi: &str| {
        let r = row_where(m, "programIndicator", pi);
        (col(m, r, "dataElement"), col(m, r, "categoryOptionCombo"))
    };
    assert_eq!(
        cells("PiDotAAAAAA"),
        ("INPATIENT_CASES".into(), "F_0055".into())
    );
    assert_eq!(
        cells("PiUnderAAAA"),
        ("INPATIENT_CASES".into(), "M_Othe".into())
    );
    assert_eq!(
        cells("PiPlainAAAA"),
        ("INPATIENT_CASES".into(), String::new())
    );
    assert_eq!(
        cells("PiNeitherAA"),
        ("NOT_A_DE.NOT_A_COC".into(), String::new()),
        "left whole: the target check reports it"
    );
}

/// An HMIS where `DE_QY` is in a Quarterly and a Yearly data set (as WHO TB's
/// `TB_STARTED_REG_RIF_S`).
const QY_METADATA: &str = r#"{
  "categoryCombos": [{"id": "bjDvmb4bfuf", "name": "default"}],
  "categoryOptionCombos": [{"id": "HllvX50cXC0", "name": "default", "categoryCombo": {"id": "bjDvmb4bfuf"}}],
  "dataElements": [{"id": "DeQY0000001", "code": "DE_QY", "name": "Started", "valueType": "INTEGER_ZERO_OR_POSITIVE", "categoryCombo": {"id": "bjDvmb4bfuf"}}],
  "dataSets": [
    {"id": "DsQuarter01", "code": "DS_Q", "name": "Quarterly", "periodType": "Quarterly", "categoryCombo": {"id": "bjDvmb4bfuf"},
     "dataSetElements": [{"dataElement": {"id": "DeQY0000001"}}], "organisationUnits": [{"id": "OuFacility1"}]},
    {"id": "DsYearly001", "code": "DS_Y", "name": "Yearly", "periodType": "Yearly", "categoryCombo": {"id": "bjDvmb4bfuf"},
     "dataSetElements": [{"dataElement": {"id": "DeQY0000001"}}], "organisationUnits": [{"id": "OuFacility1"}]}],
  "organisationUnits": [{"id": "OuFacility1", "name": "Facility", "path": "/OuFacility1", "level": 1}]
}"#;

#[test]
fn a_data_element_in_a_quarterly_and_a_yearly_data_set_converts_and_requests_both() {
    let dir = Workdir::new();
    let trk = dir.write(
        "trk.json",
        r#"{"programIndicators": [{"id": "PiStarted01", "name": "Started", "attributeValues": [{"attribute": {"id": "vudyDP7jUy5"}, "value": "DE_QY"}]}]}"#,
    );
    let hmis = dir.write("hmis.json", QY_METADATA);
    let mapping = from_metadata(&dir, &trk, Some(&hmis), "m.xlsx");
    let wb = read_workbook(&mapping);
    let m = sheet(&wb, "mapping");
    assert_eq!(
        col(m, &m[1], "dataSet"),
        "DS_Q; DS_Y",
        "every data set recorded"
    );
    assert_eq!(
        sheet(&wb, "findings").len(),
        1,
        "{:?}",
        sheet(&wb, "findings")
    );

    let export = dir.write(
        "export.json",
        r#"{"dataValues": [
          {"dataElement": "PiStarted01", "period": "2024Q1", "orgUnit": "OuFacility1", "value": "4"},
          {"dataElement": "PiStarted01", "period": "2024", "orgUnit": "OuFacility1", "value": "17"},
          {"dataElement": "PiStarted01", "period": "202402", "orgUnit": "OuFacility1", "value": "2"}]}"#,
    );
    let folder = dir.file("out");
    let (code, summary, stderr) = dir.convert(&[
        s(&export),
        "-m",
        s(&mapping),
        "--target-metadata",
        s(&hmis),
        "--as-of",
        "2025-01-10",
        "-o",
        s(&folder),
        "--split-by",
        "data-set",
    ]);
    assert_eq!(code, 1, "the monthly value is left out: {stderr}");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&fs::read(folder.join(name)).unwrap_or_else(|e| {
            panic!(
                "{name}: {e}: {:?}",
                fs::read_dir(&folder)
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect::<Vec<_>>()
            )
        }))
        .unwrap()
    };
    let q = read("DS_Q.json");
    let y = read("DS_Y.json");
    assert_eq!(q["dataValues"].as_array().unwrap().len(), 1);
    assert_eq!(q["dataValues"][0]["period"], "2024Q1");
    assert_eq!(y["dataValues"].as_array().unwrap().len(), 1);
    assert_eq!(y["dataValues"][0]["period"], "2024");
    assert!(summary.to_string().contains("wrongPeriodType"), "{summary}");

    // request: both period types in one window; the convert line carries --target-metadata.
    let request = |periods: &str| {
        pi2de()
            .args([
                "request",
                "-m",
                s(&mapping),
                "--target-metadata",
                s(&hmis),
                "--periods",
                periods,
            ])
            .output()
            .unwrap()
    };
    let out = request("2024-01-01..2024-12-31");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("pe:2024Q1;2024Q2;2024Q3;2024Q4"),
        "{stdout}"
    );
    assert!(stdout.contains("dimension=pe:2024&"), "{stdout}");
    assert!(
        stdout.contains("then: pi2de convert export-1.json export-2.json -m")
            && stdout.contains("--target-metadata"),
        "{stdout}"
    );
    // A window with no whole year: the yearly type is skipped with a note, the rest printed.
    let out = request("2024-01-01..2024-06-30");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("pe:2024Q1;2024Q2"), "{stdout}");
    assert!(
        stderr.contains(
            "holds no whole Yearly period: 1 program indicator of Yearly data sets not requested"
        ),
        "{stderr}"
    );
    // No whole period of any type: exit 2, naming the types.
    let out = request("2024-01-01..2024-01-31");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds no whole Quarterly or Yearly period"),
        "{stderr}"
    );
}

/// An org unit in metadata JSON: id, name, parent (or none), code, attribute value.
fn ou(
    id: &str,
    name: &str,
    parent: Option<&str>,
    code: Option<&str>,
    hmis_code: Option<&str>,
) -> serde_json::Value {
    let mut o = json!({"id": id, "name": name});
    if let Some(p) = parent {
        o["parent"] = json!({"id": p});
    }
    if let Some(c) = code {
        o["code"] = json!(c);
    }
    if let Some(v) = hmis_code {
        o["attributeValues"] = json!([{"attribute": {"id": "AttrHmisCod"}, "value": v}]);
    }
    o
}

#[test]
fn org_unit_crosswalk_by_attribute_code_and_name_under_the_matched_parent() {
    let dir = Workdir::new();
    let tracker = json!({
        "programIndicators": [{"id": "PiStarted01", "name": "Started", "attributeValues": [{"attribute": {"id": "vudyDP7jUy5"}, "value": "DE_QY"}]}],
        "organisationUnits": [
            ou("TrkRoot0001", "Sierra Leone", None, None, None),
            ou("TrkBo000001", "Bo", Some("TrkRoot0001"), None, Some("BO_DIST")),
            ou("TrkNgelehun", "Ngelehun CHC", Some("TrkBo000001"), None, None),
            ou("TrkBaoma001", "Baoma MCHP", Some("TrkBo000001"), Some("OU_BAOMA"), None),
            ou("TrkGhost001", "Ghost clinic", Some("TrkBo000001"), None, None),
            ou("TrkTwin0001", "Twin clinic", Some("TrkBo000001"), None, None),
        ]
    });
    let mut hmis: serde_json::Value = serde_json::from_str(QY_METADATA).unwrap();
    hmis["organisationUnits"] = json!([
        ou("HmRoot00001", "Sierra Leone", None, None, None),
        ou(
            "HmBo0000001",
            "Bo District",
            Some("HmRoot00001"),
            None,
            Some("BO_DIST")
        ),
        ou("HmKenema001", "Kenema", Some("HmRoot00001"), None, None),
        ou(
            "HmNgelehun1",
            "ngelehun chc",
            Some("HmBo0000001"),
            None,
            None
        ),
        ou(
            "HmBaoma0001",
            "Baoma Station MCHP",
            Some("HmBo0000001"),
            Some("OU_BAOMA"),
            None
        ),
        ou(
            "HmGhost0001",
            "Ghost clinic",
            Some("HmKenema001"),
            None,
            None
        ),
        ou(
            "HmTwinA0001",
            "Twin Clinic",
            Some("HmBo0000001"),
            None,
            None
        ),
        ou(
            "HmTwinB0001",
            "Twin clinic",
            Some("HmBo0000001"),
            None,
            None
        ),
    ]);
    let trk = dir.write("trk.json", &tracker.to_string());
    let agg = dir.write("hmis.json", &hmis.to_string());
    let mapping = dir.file("m.xlsx");
    pi2de()
        .args([
            "mapping",
            "from-metadata",
            s(&trk),
            "--target-metadata",
            s(&agg),
            "--org-unit-attribute",
            "AttrHmisCod",
            "-o",
            s(&mapping),
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "4 org units matched (sheet `orgUnits`), 2 not",
        ));
    let wb = read_workbook(&mapping);
    let sheet_ou = sheet(&wb, "orgUnits");
    let target = |source: &str| {
        let r = row_where(sheet_ou, "source", source);
        (col(sheet_ou, r, "target"), col(sheet_ou, r, "matchedBy"))
    };
    assert_eq!(
        target("TrkRoot0001"),
        ("HmRoot00001".into(), "name under the same parent".into())
    );
    assert_eq!(
        target("TrkBo000001"),
        ("HmBo0000001".into(), "attribute".into())
    );
    assert_eq!(
        target("TrkNgelehun"),
        ("HmNgelehun1".into(), "name under the same parent".into())
    );
    assert_eq!(target("TrkBaoma001"), ("HmBaoma0001".into(), "code".into()));
    let baoma = row_where(sheet_ou, "source", "TrkBaoma001");
    assert_eq!(
        col(sheet_ou, baoma, "sourcePath"),
        "Sierra Leone / Bo / Baoma MCHP"
    );
    assert_eq!(
        col(sheet_ou, baoma, "targetPath"),
        "Sierra Leone / Bo District / Baoma Station MCHP"
    );
    let not = sheet(&wb, "org units not matched");
    let ghost = row_where(not, "source", "TrkGhost001");
    assert_eq!(
        col(not, ghost, "sourcePath"),
        "Sierra Leone / Bo / Ghost clinic"
    );
    assert!(
        col(not, ghost, "why").contains("no HMIS org unit"),
        "the Kenema one is not under Bo"
    );
    let twin = col(not, row_where(not, "source", "TrkTwin0001"), "why");
    assert!(
        twin.contains("ambiguous: 2 HMIS org units match by name")
            && twin.contains("Sierra Leone / Bo District / Twin Clinic (HmTwinA0001)")
            && twin.contains("(HmTwinB0001)"),
        "{twin}"
    );
    // Without the attribute, Bo is found by neither code nor name ("Bo District"): its
    // children cannot be matched by name either, and say why.
    let plain = dir.file("plain.xlsx");
    pi2de()
        .args([
            "mapping",
            "from-metadata",
            s(&trk),
            "--target-metadata",
            s(&agg),
            "-o",
            s(&plain),
        ])
        .assert()
        .code(0);
    let wb = read_workbook(&plain);
    let not = sheet(&wb, "org units not matched");
    let ngelehun = col(not, row_where(not, "source", "TrkNgelehun"), "why");
    assert!(
        ngelehun.contains("its parent Bo is not matched"),
        "{ngelehun}"
    );

    // convert writes the HMIS ids and leaves the unmatched units out with a reason.
    let export = dir.write(
        "export.json",
        r#"{"dataValues": [
          {"dataElement": "PiStarted01", "period": "2024Q1", "orgUnit": "TrkNgelehun", "value": "4"},
          {"dataElement": "PiStarted01", "period": "2024Q1", "orgUnit": "TrkBaoma001", "value": "5"},
          {"dataElement": "PiStarted01", "period": "2024Q1", "orgUnit": "TrkTwin0001", "value": "6"},
          {"dataElement": "PiStarted01", "period": "2024Q1", "orgUnit": "TrkGhost001", "value": "7"}]}"#,
    );
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[s(&export), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 1, "{stderr}");
    let written: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let mut units: Vec<&str> = written["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["orgUnit"].as_str().unwrap())
        .collect();
    units.sort();
    assert_eq!(units, ["HmBaoma0001", "HmNgelehun1"]);
    assert!(summary.to_string().contains("unmappedOrgUnit"), "{summary}");
}
