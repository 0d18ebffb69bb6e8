//! Rows keyed on the aggregate export combo, compound attribute values; a data element in
//! several data sets; the org-unit crosswalk from both instances' metadata.

use super::*;

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
