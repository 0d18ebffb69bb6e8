//! The conversion rules: reasons, duplicate policies, value types, mapping rows.

use super::*;

pub(crate) const HEADER: &[&str] = &[
    "programIndicator",
    "dataElement",
    "categoryOptionCombo",
    "valueType",
    "enabled",
];

#[test]
fn every_left_out_reason_is_counted_and_listed() {
    let dir = Workdir::new();
    let mapping = xlsx_mapping(
        &dir,
        "m.xlsx",
        HEADER,
        &[
            &["PiAAAAAAAAA", "DE_A", "", "INTEGER", "yes"],
            &["PiBBBBBBBBB", "DE_B", "", "", "no"],
            &["PiCCCCCCCCC", "DE_C", "", "", ""],
            &["PiDDDDDDDDD", "DE_C", "", "", ""],
        ],
        Some(&[("OuSourceAAA", "OU_TARGET_A")]),
    );
    let input = dir.write("in.csv", "\
data_element,period,organisation_unit,category_option_combo,attribute_option_combo,value,stored_by,created,last_updated,comment,follow_up
PiAAAAAAAAA,202401,OuSourceAAA,,,12.0,,,,[aggregated],false
PiAAAAAAAAA,202402,,,,3.0,,,,[aggregated],false
PiAAAAAAAAA,202403,OuUnknownXX,,,4.0,,,,[aggregated],false
PiZZZZZZZZZ,202401,OuSourceAAA,,,5.0,,,,[aggregated],false
PiBBBBBBBBB,202401,OuSourceAAA,,,6.0,,,,[aggregated],false
PiAAAAAAAAA,202404,OuSourceAAA,,,7.5,,,,[aggregated],false
PiAAAAAAAAA,202413,OuSourceAAA,,,8.0,,,,[aggregated],false
PiAAAAAAAAA,202401,OuSourceAAA,,,12,,,,[aggregated],false
PiCCCCCCCCC,202401,OuSourceAAA,,,1.0,,,,[aggregated],false
PiDDDDDDDDD,202401,OuSourceAAA,,,2.0,,,,[aggregated],false
");
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(summary["counts"]["read"], 10);
    assert_eq!(summary["counts"]["written"], 1);
    for (reason, n) in [
        ("incomplete", 1),
        ("unmappedOrgUnit", 1),
        ("unmapped", 1),
        ("disabled", 1),
        ("invalidValue", 1),
        ("invalidPeriod", 1),
        ("duplicateMerged", 1),
        ("duplicateRejected", 2),
    ] {
        assert_eq!(left(&summary, reason), n, "{reason}");
    }
    let listed: Vec<&str> = summary["leftOutValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    for reason in [
        "incomplete",
        "unmappedOrgUnit",
        "unmapped",
        "disabled",
        "invalidValue",
        "invalidPeriod",
    ] {
        assert!(listed.contains(&reason), "{reason} listed with its place");
    }
    let invalid_period = summary["leftOutValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["reason"] == "invalidPeriod")
        .unwrap();
    assert_eq!(invalid_period["line"], 8, "the CSV line is named");
    assert_eq!(
        json_values(&out)[0]["orgUnit"],
        "OU_TARGET_A",
        "org unit translated"
    );
    assert_eq!(json_values(&out)[0]["value"], "12");
    assert_eq!(summary["duplicates"][0]["key"]["dataElement"], "DE_C");
    assert_eq!(
        summary["duplicates"][0]["sources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

pub(crate) fn duplicates_input(dir: &TempDir) -> (PathBuf, PathBuf) {
    let mapping = write(
        dir,
        "m.csv",
        "programIndicator,dataElement\nPiAAAAAAAAA,DE_X\nPiBBBBBBBBB,DE_X\nPiCCCCCCCCC,DE_Y\n",
    );
    let input = write(
        dir,
        "in.json",
        r#"{"dataValues":[
        {"dataElement":"PiAAAAAAAAA","period":"202401","orgUnit":"OuAAAAAAAAA","value":"5.0"},
        {"dataElement":"PiBBBBBBBBB","period":"202401","orgUnit":"OuAAAAAAAAA","value":"7.0"},
        {"dataElement":"PiCCCCCCCCC","period":"202401","orgUnit":"OuAAAAAAAAA","value":"1"},
        {"dataElement":"PiCCCCCCCCC","period":"202401","orgUnit":"OuAAAAAAAAA","value":"1.0"}]}"#,
    );
    (mapping, input)
}

#[test]
fn duplicate_policies_reject_first_last_sum() {
    let dir = Workdir::new();
    let (mapping, input) = duplicates_input(&dir);
    let out = dir.file("out.json");
    for (policy, expect, code, rejected, merged) in [
        ("reject", None, 1, 2, 1),
        ("first", Some("5"), 1, 0, 2),
        ("last", Some("7"), 1, 0, 2),
        ("sum", Some("12"), 1, 0, 2),
    ] {
        let (c, summary, stderr) = dir.convert(&[
            s(&input),
            "-m",
            s(&mapping),
            "-o",
            s(&out),
            "--on-duplicate",
            policy,
        ]);
        assert_eq!(c, code, "{policy}: {stderr}");
        let values = json_values(&out);
        let x = values
            .iter()
            .find(|v| v["dataElement"] == "DE_X")
            .map(|v| v["value"].as_str().unwrap().to_string());
        assert_eq!(x.as_deref(), expect, "{policy}");
        assert!(
            values
                .iter()
                .any(|v| v["dataElement"] == "DE_Y" && v["value"] == "1"),
            "identical duplicate merged"
        );
        assert_eq!(left(&summary, "duplicateRejected"), rejected, "{policy}");
        assert_eq!(left(&summary, "duplicateMerged"), merged, "{policy}");
        let conflict = &summary["duplicates"][0];
        assert_eq!(
            conflict["values"],
            serde_json::json!(["5", "7"]),
            "{policy}: conflict reported"
        );
        assert_eq!(conflict["sources"][0]["dataElement"], "PiAAAAAAAAA");
        assert!(stderr.contains("duplicates: 1 key"), "{stderr}");
    }
}

#[test]
fn last_is_the_value_read_last_even_when_it_repeats_an_earlier_one() {
    let dir = Workdir::new();
    let (mapping, _) = duplicates_input(&dir);
    let input = write(
        &dir,
        "again.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,5\nPiBBBBBBBBB,202401,OU_A,7\nPiAAAAAAAAA,202401,OU_A,5.0\n",
    );
    let out = dir.file("out.json");
    let (_, summary, _) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--on-duplicate",
        "last",
    ]);
    assert_eq!(json_values(&out)[0]["value"], "5");
    assert_eq!(left(&summary, "duplicateMerged"), 2);
    let (_, summary, _) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--on-duplicate",
        "reject",
    ]);
    assert_eq!(
        left(&summary, "duplicateRejected"),
        3,
        "every value of a rejected key"
    );
    assert_eq!(
        summary["duplicates"][0]["sources"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the repeat is not listed twice"
    );
}

#[test]
fn duplicate_policy_fail_writes_nothing() {
    let dir = Workdir::new();
    let (mapping, input) = duplicates_input(&dir);
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--on-duplicate",
        "fail",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("pi2de: error:"), "{stderr}");
    assert!(stderr.contains("DE_X 202401 OuAAAAAAAAA"), "{stderr}");
    assert!(!out.exists(), "nothing written");
    assert!(summary["output"].is_null());
}

#[test]
fn sum_adds_equal_values_of_different_sources() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement\nPiAAAAAAAAA,DE_X\nPiBBBBBBBBB,DE_X\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,2024Q1,OuAAAAAAAAA,5\nPiBBBBBBBBB,2024Q1,OuAAAAAAAAA,5.0\nPiAAAAAAAAA,2024Q1,OuAAAAAAAAA,5\n",
    );
    let out = dir.file("out.json");
    let (_, summary, _) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--on-duplicate",
        "sum",
    ]);
    assert_eq!(
        json_values(&out)[0]["value"],
        "10",
        "two PIs of 5 each: 10, the repeated row once"
    );
    assert_eq!(left(&summary, "duplicateMerged"), 2);
    // Under reject, equal values of two sources are simply merged.
    let (code, summary, _) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(
        (code, json_values(&out)[0]["value"].as_str()),
        (0, Some("5"))
    );
    assert_eq!(summary["duplicates"].as_array().unwrap().len(), 0);
}

#[test]
fn exit_code_zero_when_everything_is_written_or_identical() {
    let dir = Workdir::new();
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[
        {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"1.0E7"},
        {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"10000000"},
        {"dataElement":"DE_B","period":"2024W05","orgUnit":"OU_A","value":-0.0},
        {"dataElement":"DE_C","period":"2024NovQ1","orgUnit":"OU_A","value":"1.5e-3"},
        {"dataElement":"DE_D","period":"2024-03-15","orgUnit":"OU_A","value":"Positive"}]}"#,
    );
    let out = dir.file("out.json");
    let (code, summary, _) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 0);
    assert_eq!(left(&summary, "duplicateMerged"), 1);
    assert_eq!(
        keyed(&json_values(&out)),
        vec![
            "DE_A 202401 OU_A   = 10000000",
            "DE_B 2024W5 OU_A   = 0",
            // Not the form analytics writes (Java writes `E`): with no value type known, kept
            // as read.
            "DE_C 2024NovQ1 OU_A   = 1.5e-3",
            "DE_D 20240315 OU_A   = Positive",
        ]
    );
}

#[test]
fn value_types_from_the_mapping_are_enforced() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "pi,dataElement,valueType\nPiAAAAAAAAA,DE_INT,INTEGER_ZERO_OR_POSITIVE\nPiBBBBBBBBB,DE_PCT,PERCENTAGE\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,12.0\nPiAAAAAAAAA,202402,OU_A,12.5\nPiAAAAAAAAA,202403,OU_A,-1\nPiBBBBBBBBB,202401,OU_A,101\nPiBBBBBBBBB,202402,OU_A,99.5\nPiBBBBBBBBB,202403,OU_A,\n",
    );
    let out = dir.file("out.json");
    let (code, summary, _) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 1);
    assert_eq!(left(&summary, "invalidValue"), 4);
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["DE_INT 202401 OU_A   = 12", "DE_PCT 202402 OU_A   = 99.5"]
    );
}

#[test]
fn on_unmapped_fail_stops_with_nothing_written() {
    let dir = Workdir::new();
    let out = dir.file("out.json");
    let (code, _, stderr) = dir.convert(&[
        s(&repo(SAMPLES[0])),
        "-m",
        s(&repo("mappings/immunisation.csv")),
        "-o",
        s(&out),
        "--on-unmapped",
        "fail",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("aEfiCases1l"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn source_coc_narrows_a_mapping_row() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,sourceCategoryOptionCombo,dataElement,categoryOptionCombo\nPiAAAAAAAAA,CocFemaleAA,DE_A,F\nPiAAAAAAAAA,,DE_A,OTHER\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value\nPiAAAAAAAAA,202401,OU_A,CocFemaleAA,,1\nPiAAAAAAAAA,202401,OU_A,CocMaleAAAA,,2\n",
    );
    let out = dir.file("out.json");
    dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["DE_A 202401 OU_A F  = 1", "DE_A 202401 OU_A OTHER  = 2"]
    );
}
