//! The target checks: data-set rules of the target version, and mapping check against it.

use super::*;

#[test]
fn pre_flight_and_mapping_check_judge_targets_alike() {
    let dir = Workdir::new();
    let agg = dir.write("agg.json", AGG_METADATA);
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombo\nPiAAAAAAAAA,DE_TOTAL,F\nPiBBBBBBBBB,DE_SEX,F\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,1\nPiBBBBBBBBB,202401,OU_A,2\n",
    );
    let out = dir.file("out.json");
    let (_, summary, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--target-metadata",
        s(&agg),
    ]);
    let left_out = &summary["leftOutValues"][0];
    assert_eq!(
        (
            left_out["reason"].as_str(),
            left_out["dataElement"].as_str()
        ),
        (Some("unknownTarget"), Some("PiAAAAAAAAA"))
    );
    let detail = left_out["detail"].as_str().unwrap();
    assert!(
        detail.contains("`F` is not in the category combo `default` of data element `DE_TOTAL`"),
        "{detail}"
    );
    assert_eq!(keyed(&json_values(&out)), vec!["DE_SEX 202401 OU_A F  = 2"]);
    // Both commands say the same: a target error leaves its row's values out, the run goes on.
    let verdict = "1 error, 0 warnings: convert will run, but leaves out the values of the rows \
                   with 1 target error (unknownTarget) until they are fixed";
    assert!(stderr.contains(verdict), "{stderr}");
    pi2de()
        .args([
            "mapping",
            "check",
            s(&mapping),
            "--target-metadata",
            s(&agg),
        ])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("m.csv!C2")
                .and(predicate::str::contains(detail))
                .and(predicate::str::contains(verdict)),
        );
    // An error of the mapping itself: convert refuses it, and check says so.
    let broken = dir.write("broken.csv", "programIndicator,dataElement\nPiAAAAAAAAA,\n");
    pi2de()
        .args(["mapping", "check", s(&broken)])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "1 error, 0 warnings: convert will refuse this mapping until its error is fixed",
        ));
}

/// Hand-made metadata for the data-entry checks: data sets with input periods, expiry days,
/// future periods, attribute combos and their own category combos for a data element; org units
/// that open and close; category options with dates and org units.
pub(crate) fn entry_metadata(version: &str) -> String {
    let ou = |id: &str, path: &str, extra: Value| {
        let mut o = serde_json::json!({"id": id, "name": id, "path": path, "openingDate": "1970-01-01T00:00:00.000"});
        if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        o
    };
    let units = vec![
        ou("RootUnit001", "/RootUnit001", Value::Null),
        ou("District001", "/RootUnit001/District001", Value::Null),
        ou("District002", "/RootUnit001/District002", Value::Null),
        ou(
            "Facility001",
            "/RootUnit001/District001/Facility001",
            Value::Null,
        ),
        ou(
            "Facility002",
            "/RootUnit001/District002/Facility002",
            Value::Null,
        ),
        ou(
            "OpensLate01",
            "/RootUnit001/OpensLate01",
            serde_json::json!({"openingDate": "2024-02-01T00:00:00.000"}),
        ),
        ou(
            "ClosedEarly",
            "/RootUnit001/ClosedEarly",
            serde_json::json!({"closedDate": "2024-01-15T00:00:00.000"}),
        ),
    ];
    let all: Vec<Value> = units
        .iter()
        .map(|u| serde_json::json!({"id": u["id"]}))
        .collect();
    let ds = |code: &str, de: &str, extra: Value| {
        let mut d = serde_json::json!({
            "id": format!("Ds{code:0>9}"), "code": code, "name": code, "periodType": "Monthly",
            "categoryCombo": {"id": "bjDvmb4bfuf"}, "expiryDays": 0, "openFuturePeriods": 1,
            "openPeriodsAfterCoEndDate": 0, "organisationUnits": all,
            "dataSetElements": [{"dataElement": {"id": format!("De{de:0>9}")}}],
        });
        if let (Some(d), Some(e)) = (d.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
        d
    };
    let de = |code: &str| serde_json::json!({"id": format!("De{code:0>9}"), "code": code, "name": code, "valueType": "INTEGER", "categoryCombo": {"id": "bjDvmb4bfuf"}});
    let elements: Vec<Value> = ["IP", "EXP", "FUT", "OU", "SEXED", "PARTNER", "LATE", "HALF"]
        .map(de)
        .to_vec();
    serde_json::json!({
        "system": {"version": version},
        "categoryCombos": [
            {"id": "bjDvmb4bfuf", "name": "default"},
            {"id": "CcSex000001", "name": "Sex"},
            {"id": "CcPartner01", "name": "Partner"},
        ],
        "categoryOptions": [
            {"id": "CoPartnerA1", "code": "OPT_A", "name": "A", "organisationUnits": [{"id": "District001"}]},
            {"id": "CoPartnerB1", "code": "OPT_B", "name": "B", "startDate": "2024-01-15T00:00:00.000"},
            {"id": "CoPartnerC1", "code": "OPT_C", "name": "C", "endDate": "2024-01-31T00:00:00.000"},
        ],
        "categoryOptionCombos": [
            {"id": "HllvX50cXC0", "name": "default", "code": "default", "categoryCombo": {"id": "bjDvmb4bfuf"}},
            {"id": "CocFemale01", "code": "F", "name": "Female", "categoryCombo": {"id": "CcSex000001"}},
            {"id": "AocPartnerA", "code": "PARTNER_A", "name": "A", "categoryCombo": {"id": "CcPartner01"}, "categoryOptions": [{"id": "CoPartnerA1"}]},
            {"id": "AocPartnerB", "code": "PARTNER_B", "name": "B", "categoryCombo": {"id": "CcPartner01"}, "categoryOptions": [{"id": "CoPartnerB1"}]},
            {"id": "AocPartnerC", "code": "PARTNER_C", "name": "C", "categoryCombo": {"id": "CcPartner01"}, "categoryOptions": [{"id": "CoPartnerC1"}]},
        ],
        "dataElements": elements,
        "dataSets": [
            ds("DS_IP", "IP", serde_json::json!({"expiryDays": 3, "dataInputPeriods": [
                {"period": {"id": "202401"}, "openingDate": "2024-02-01T00:00:00.000", "closingDate": "2024-02-15T00:00:00.000"}]})),
            ds("DS_EXP", "EXP", serde_json::json!({"expiryDays": 10})),
            ds("DS_HALF", "HALF", serde_json::json!({"expiryDays": 0.5})),
            ds("DS_FUT", "FUT", serde_json::json!({"openFuturePeriods": 0})),
            ds("DS_OU", "OU", serde_json::json!({"openFuturePeriods": 12, "workflow": {"id": "WfApproval1"}})),
            ds("DS_SEX", "SEXED", serde_json::json!({"dataSetElements": [
                {"dataElement": {"id": "De0000SEXED"}, "categoryCombo": {"id": "CcSex000001"}}]})),
            ds("DS_PARTNER", "PARTNER", serde_json::json!({"categoryCombo": {"id": "CcPartner01"}, "openFuturePeriods": 12, "workflow": {"id": "WfApproval1"}})),
            ds("DS_LATE", "LATE", serde_json::json!({"categoryCombo": {"id": "CcPartner01"}, "openFuturePeriods": 12, "openPeriodsAfterCoEndDate": 1})),
        ],
        "organisationUnits": units,
    })
    .to_string()
}

/// Converts `rows` (dataElement, period, orgUnit, COC, AOC) against [`entry_metadata`] and
/// returns, per row, the reason it was left out or `written`.
pub(crate) fn entry_verdicts(
    version: &str,
    extra: &[&str],
    rows: &[(&str, &str, &str, &str, &str)],
) -> Vec<String> {
    let dir = Workdir::new();
    let agg = dir.write("agg.json", &entry_metadata(version));
    let values: Vec<String> = rows
        .iter()
        .map(|(de, pe, ou, coc, aoc)| {
            format!(r#"{{"dataElement":"{de}","period":"{pe}","orgUnit":"{ou}","categoryOptionCombo":"{coc}","attributeOptionCombo":"{aoc}","value":"1"}}"#)
        })
        .collect();
    let input = write(
        &dir,
        "in.json",
        &format!(r#"{{"dataValues":[{}]}}"#, values.join(",")),
    );
    let out = dir.file("out.json");
    let mut args = vec![s(&input), "-o", s(&out), "--target-metadata", s(&agg)];
    args.extend_from_slice(extra);
    let (code, summary, stderr) = dir.convert(&args);
    assert!(code < 2, "{stderr}");
    verdicts_of(&summary, rows.len())
}

/// Per value 1..=n of a run's summary: `written`, or `reason: detail`.
pub(crate) fn verdicts_of(summary: &Value, n: usize) -> Vec<String> {
    let left_out = summary["leftOutValues"].as_array().unwrap();
    (1..=n as u64)
        .map(|record| {
            left_out
                .iter()
                .find(|l| l["record"] == record)
                .map_or("written".to_string(), |l| {
                    format!(
                        "{}: {}",
                        l["reason"].as_str().unwrap(),
                        l["detail"].as_str().unwrap()
                    )
                })
        })
        .collect()
}

pub(crate) fn reason(verdict: &str) -> &str {
    verdict.split(':').next().unwrap()
}

#[test]
fn periods_closed_by_input_periods_expiry_days_and_future_periods() {
    let rows = [
        ("IP", "202401", "Facility001", "", ""),
        ("IP", "202312", "Facility001", "", ""),
        ("EXP", "202401", "Facility001", "", ""),
        ("FUT", "202401", "Facility001", "", ""),
        ("FUT", "202402", "Facility001", "", ""),
    ];
    let on = |date: &str, version: &str, extra: &[&str]| {
        let mut args = vec!["--as-of", date];
        args.extend_from_slice(extra);
        entry_verdicts(version, &args, &rows)
    };
    // 10 February, 2.43: January's input period is open; December has none; expiry 10 days
    // keeps January open until 10 February; openFuturePeriods 0 closes the current month.
    let v = on("2024-02-10", "2.43.2", &[]);
    assert_eq!(v[0], "written");
    assert!(
        v[1].starts_with("periodClosed") && v[1].contains("not one of them"),
        "{}",
        v[1]
    );
    assert_eq!(v[2], "written");
    assert_eq!(v[3], "written");
    assert!(
        v[4].starts_with("periodClosed") && v[4].contains("openFuturePeriods 0"),
        "{}",
        v[4]
    );
    // 11 February: expired; 16 February: January's input period closed (2.43 closes it as the
    // closing day begins).
    let v = on("2024-02-11", "2.43.2", &[]);
    assert!(
        v[2].starts_with("periodClosed") && v[2].contains("until 2024-02-10"),
        "{}",
        v[2]
    );
    assert_eq!(reason(&on("2024-02-15", "2.43.2", &[])[0]), "periodClosed");
    assert_eq!(
        on("2024-02-15", "2.42.3", &["--edit-expired"])[0],
        "written",
        "≤ 2.42 compares days, closing day included (its expiry days lifted here)"
    );
    // The right to edit expired periods lifts expiry and (2.43) future periods, not input periods.
    let v = on("2024-02-11", "2.43.2", &["--edit-expired"]);
    assert_eq!((v[2].as_str(), v[4].as_str()), ("written", "written"));
    assert_eq!(reason(&v[1]), "periodClosed");
    // ≤ 2.42 applies expiry days beside input periods (2.43 only without them): DS_IP has 3.
    let v = on("2024-02-05", "2.42.3", &[]);
    assert_eq!(reason(&v[0]), "periodClosed", "{}", v[0]);
    assert!(v[0].contains("3 days"), "{}", v[0]);
    assert_eq!(on("2024-02-05", "2.43.2", &[])[0], "written");
    // ≤ 2.42 keeps the future-period check for users who may edit expired periods.
    assert_eq!(
        reason(&on("2024-02-10", "2.42.3", &["--edit-expired"])[4]),
        "periodClosed"
    );
}

#[test]
fn org_units_closed_and_restricted_options() {
    let rows = [
        ("OU", "202401", "OpensLate01", "", ""),
        ("OU", "202402", "OpensLate01", "", ""),
        ("OU", "202401", "ClosedEarly", "", ""),
        ("OU", "202402", "ClosedEarly", "", ""),
        ("PARTNER", "202401", "Facility001", "", "PARTNER_A"),
        ("PARTNER", "202401", "Facility002", "", "PARTNER_A"),
        ("PARTNER", "202401", "District001", "", "PARTNER_A"),
    ];
    let v = entry_verdicts("2.43.2", &["--as-of", "2024-06-01"], &rows);
    assert!(
        v[0].starts_with("orgUnitClosed") && v[0].contains("opened on 2024-02-01"),
        "{}",
        v[0]
    );
    assert_eq!(v[1], "written");
    assert_eq!(v[2], "written", "it closed after the period started");
    assert!(
        v[3].starts_with("orgUnitClosed") && v[3].contains("closed on 2024-01-15"),
        "{}",
        v[3]
    );
    assert_eq!(v[4], "written", "a descendant of the option's district");
    assert!(
        v[5].starts_with("orgUnitNotAssigned") && v[5].contains("OPT_A"),
        "{}",
        v[5]
    );
    assert_eq!(v[6], "written", "the district itself");
    // ≤ 2.42 has no check of the org unit's dates.
    let v = entry_verdicts("2.42.3", &["--as-of", "2024-06-01"], &rows);
    assert_eq!((v[0].as_str(), v[3].as_str()), ("written", "written"));
    assert_eq!(reason(&v[5]), "orgUnitNotAssigned");
}

#[test]
fn periods_outside_the_attribute_options_dates() {
    let rows = [
        ("PARTNER", "202401", "Facility001", "", "PARTNER_B"),
        ("PARTNER", "202402", "Facility001", "", "PARTNER_B"),
        ("PARTNER", "202401", "Facility001", "", "PARTNER_C"),
        ("PARTNER", "202402", "Facility001", "", "PARTNER_C"),
        ("LATE", "202402", "Facility001", "", "PARTNER_C"),
        ("LATE", "202403", "Facility001", "", "PARTNER_C"),
    ];
    let v = entry_verdicts("2.43.2", &["--as-of", "2024-06-01"], &rows);
    // 2.43: the period must lie inside the options' dates (B starts 15 January, C ends 31
    // January); openPeriodsAfterCoEndDate 1 (DS_LATE) takes one more period.
    assert!(
        v[0].starts_with("attributeOptionClosed") && v[0].contains("2024-01-15 .. …"),
        "{}",
        v[0]
    );
    assert_eq!(v[1], "written");
    assert_eq!(v[2], "written");
    assert_eq!(reason(&v[3]), "attributeOptionClosed");
    assert_eq!(v[4], "written");
    assert_eq!(reason(&v[5]), "attributeOptionClosed");
    // ≤ 2.42 only needs an overlap.
    let v = entry_verdicts("2.42.3", &["--as-of", "2024-06-01"], &rows);
    assert_eq!(v[0], "written");
    assert_eq!(reason(&v[3]), "attributeOptionClosed");
    assert_eq!(v[4], "written");
}

#[test]
fn data_set_combos_override_the_data_elements() {
    let rows = [
        ("SEXED", "202401", "Facility001", "F", ""),
        ("SEXED", "202401", "Facility001", "", ""),
        ("PARTNER", "202401", "Facility001", "", ""),
        ("PARTNER", "202401", "Facility001", "", "F"),
        ("EXP", "202401", "Facility001", "", "PARTNER_A"),
    ];
    let v = entry_verdicts("2.43.2", &["--as-of", "2024-02-01"], &rows);
    assert_eq!(v[0], "written", "DS_SEX gives SEXED the combo Sex");
    assert!(
        v[1].starts_with("unknownTarget") && v[1].contains("data set `DS_SEX` disaggregates"),
        "{}",
        v[1]
    );
    assert!(
        v[2].starts_with("unknownTarget") && v[2].contains("E8023"),
        "{}",
        v[2]
    );
    assert!(
        v[3].contains("attribute combo `Partner` of data set `DS_PARTNER`"),
        "{}",
        v[3]
    );
    assert!(
        v[4].contains("attribute combo `default` of data set `DS_EXP`"),
        "{}",
        v[4]
    );
}

#[test]
fn the_target_version_is_read_printed_and_its_defects_named() {
    let dir = Workdir::new();
    let agg = dir.write("agg.json", &entry_metadata("2.43.1"));
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[{"dataElement":"IP","period":"202401","orgUnit":"Facility001","value":"1"}]}"#,
    );
    let out = dir.file("out.json");
    let args = [
        s(&input),
        "-o",
        s(&out),
        "--target-metadata",
        s(&agg),
        "--as-of",
        "2024-02-10",
    ];
    let (code, summary, stderr) = dir.convert(&args);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("DHIS2 2.43.1 (system.version of"),
        "{stderr}"
    );
    assert!(stderr.contains("DS_IP will be refused now"), "{stderr}");
    assert_eq!(summary["target"]["version"], "2.43.1");
    assert_eq!(summary["warnings"].as_array().unwrap().len(), 1);
    // --target-version wins; an unreadable one is a usage error.
    let mut with = args.to_vec();
    with.extend(["--target-version", "2.41.6"]);
    let (code, summary, stderr) = dir.convert(&with);
    // The ≤ 2.42 rules close the period: nothing is left to write, which stops the run.
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("1 value read and none would be written (1 periodClosed)"),
        "{stderr}"
    );
    assert_eq!(summary["target"]["rules"], "2.42");
    pi2de()
        .args([
            "convert",
            s(&input),
            "-o",
            s(&out),
            "--target-version",
            "latest",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--target-version `latest`"));
    // Unknown: the newest rules, and the console says so.
    let agg = dir.write("agg2.json", &entry_metadata("unknown"));
    let (_, summary, stderr) =
        dir.convert(&[s(&input), "-o", s(&out), "--target-metadata", s(&agg)]);
    assert!(
        summary["warnings"]
            .to_string()
            .contains("is not a DHIS2 version"),
        "{stderr}"
    );
}

#[test]
fn a_collision_warning_names_the_shared_target() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombo\nPiAAAAAAAAA,DE_X,F\nPiBBBBBBBBB,DE_X,F\n",
    );
    pi2de()
        .args(["mapping", "check", s(&mapping)])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "m.csv!B3",
        ))
        .stdout(predicate::str::contains(
            "the same target as row 2 (data element `DE_X`, category option combo `F`, attribute option combo default)",
        ));
}

#[test]
fn every_value_type_keeps_the_meaning_of_every_value() {
    const TYPES: [&str; 29] = [
        "",
        "TEXT",
        "LONG_TEXT",
        "MULTI_TEXT",
        "LETTER",
        "PHONE_NUMBER",
        "EMAIL",
        "BOOLEAN",
        "TRUE_ONLY",
        "DATE",
        "DATETIME",
        "TIME",
        "NUMBER",
        "UNIT_INTERVAL",
        "PERCENTAGE",
        "INTEGER",
        "INTEGER_POSITIVE",
        "INTEGER_NEGATIVE",
        "INTEGER_ZERO_OR_POSITIVE",
        "TRACKER_ASSOCIATE",
        "USERNAME",
        "COORDINATE",
        "ORGANISATION_UNIT",
        "REFERENCE",
        "AGE",
        "URL",
        "FILE_RESOURCE",
        "IMAGE",
        "GEOJSON",
    ];
    const NUMERIC: [&str; 7] = [
        "NUMBER",
        "UNIT_INTERVAL",
        "PERCENTAGE",
        "INTEGER",
        "INTEGER_POSITIVE",
        "INTEGER_NEGATIVE",
        "INTEGER_ZERO_OR_POSITIVE",
    ];
    let forms = [
        "12.0",
        "1.0E7",
        "-0.0",
        "0.5",
        "3",
        "-4.0",
        "100.0",
        "0712345678",
        "007",
        " padded ",
        "2024-01-31",
        "2024-02-30",
        "2024-01-31T10:00:00.000",
        "12:30",
        "24:00",
        "[1.5,2.5]",
        "a@example.org",
        "https://dhis2.org",
        "Uvn6LCg7dVU",
        "true",
        "Yes",
        "f",
        "x",
        "é",
        "user.name",
        "1.5e-3",
        "+5",
        "12.50",
        "Positive",
        "ünï",
        "a,b",
    ];
    let dir = Workdir::new();
    let mut mapping = String::from("programIndicator,dataElement,valueType\n");
    for (i, t) in TYPES.iter().enumerate() {
        mapping.push_str(&format!("Pi{i:09},DE_{i:02},{t}\n"));
    }
    let mapping = dir.write("m.csv", &mapping);
    let mut rows = Vec::new();
    let mut sent = std::collections::HashMap::new();
    for (i, _) in TYPES.iter().enumerate() {
        for (j, form) in forms.iter().enumerate() {
            let ou = format!("Ou{j:09}");
            sent.insert((format!("DE_{i:02}"), ou.clone()), form.to_string());
            rows.push(serde_json::json!({"dataElement": format!("Pi{i:09}"), "period": "202401", "orgUnit": ou, "value": form}));
        }
    }
    let input = write(
        &dir,
        "in.json",
        &serde_json::json!({"dataValues": rows}).to_string(),
    );
    let out = dir.file("out.json");
    let (code, summary, _) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 1);
    assert_eq!(summary["counts"]["read"], TYPES.len() * forms.len());
    let is_number = |v: &str| {
        let body = v.strip_prefix('-').unwrap_or(v);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && (int == "0" || !int.starts_with('0'))
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !frac.ends_with('0')
            && v != "-0"
    };
    let mut checked = [0; TYPES.len()];
    for v in json_values(&out) {
        let de = v["dataElement"].as_str().unwrap();
        let i: usize = de[3..].parse().unwrap();
        let written = v["value"].as_str().unwrap();
        let read = &sent[&(de.to_string(), v["orgUnit"].as_str().unwrap().to_string())];
        let t = TYPES[i];
        if NUMERIC.contains(&t) {
            assert!(is_number(written), "{t}: {read:?} → {written:?}");
        } else if t == "BOOLEAN" || t == "TRUE_ONLY" {
            assert!(
                written == "true" || written == "false",
                "{t}: {read:?} → {written:?}"
            );
        } else if t.is_empty()
            && ["12.0", "1.0E7", "-0.0", "-4.0", "100.0"].contains(&read.as_str())
        {
            assert!(
                is_number(written),
                "analytics' form is rewritten: {read:?} → {written:?}"
            );
        } else {
            assert_eq!(written, read, "{t:?}: a text-like value must not change");
        }
        checked[i] += 1;
    }
    assert!(
        checked.iter().all(|&n| n > 0),
        "every type has values written: {checked:?}"
    );
}

#[test]
fn target_metadata_is_read_gzipped_or_zipped_as_the_import_export_app_downloads_it() {
    use std::io::Write as _;
    let dir = Workdir::new();
    let mapping = dir.write(
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombo\nPiAAAAAAAAA,DE_TOTAL,F\n",
    );
    let plain = dir.write("agg.json", AGG_METADATA);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(AGG_METADATA.as_bytes()).unwrap();
    std::fs::write(dir.file("agg.json.gz"), gz.finish().unwrap()).unwrap();
    let zipped = std::fs::File::create(dir.file("metadata.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(zipped);
    zip.start_file("metadata.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(AGG_METADATA.as_bytes()).unwrap();
    zip.finish().unwrap();
    let check = |meta: &str| {
        let out = pi2de()
            .args(["mapping", "check", s(&mapping), "--target-metadata", meta])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let expected = check(s(&plain));
    assert!(expected.1.contains("DE_TOTAL"), "{expected:?}");
    for packed in ["agg.json.gz", "metadata.zip"] {
        assert_eq!(check(s(&dir.file(packed))), expected, "{packed}");
    }
}

#[test]
fn a_package_version_and_missing_org_units_are_said_not_taken_for_what_they_are_not() {
    let dir = Workdir::new();
    let mut meta: Value = serde_json::from_str(&entry_metadata("2.42.1")).unwrap();
    let obj = meta.as_object_mut().unwrap();
    obj.remove("system");
    obj.remove("organisationUnits");
    obj.insert(
        "package".into(),
        serde_json::json!({"DHIS2Version": "2.41.6", "name": "TEST"}),
    );
    dir.write("pkg.json", &meta.to_string());
    dir.write(
        "in.json",
        r#"{"dataValues":[{"dataElement":"EXP","period":"202401","orgUnit":"Facility001","value":"1"}]}"#,
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "convert",
            "in.json",
            "-o",
            "out.json",
            "--target-metadata",
            "pkg.json",
            "--as-of",
            "2024-02-05",
            "--summary",
            "s.json",
        ];
        args.extend_from_slice(extra);
        let (code, stderr) = dir.run(&args);
        assert!(code < 2, "{stderr}");
        let summary: Value =
            serde_json::from_str(&fs::read_to_string(dir.file("s.json")).unwrap()).unwrap();
        (stderr, summary["warnings"].to_string())
    };
    let (stderr, warnings) = run(&[]);
    for said in [
        "a package made for DHIS2 2.41.6 (package.DHIS2Version)",
        "judged by the newest rules (2.43+)",
        "has no organisationUnits, so whether each org unit is assigned to its data set was not checked",
    ] {
        assert!(stderr.contains(said), "{said}: {stderr}");
        assert!(warnings.contains(said), "{said}: {warnings}");
    }
    assert!(!stderr.contains("--zero-fill's zeros"), "{stderr}");
    // The HMIS's version given: the package's is not mentioned; zero-fill is told its zeros
    // went unchecked.
    dir.write(
        "m.csv",
        "programIndicator,dataElement,dataSet\nEXP,EXP,DS_EXP\n",
    );
    let (stderr, _) = run(&["--target-version", "2.41.6", "-m", "m.csv", "--zero-fill"]);
    assert!(!stderr.contains("package.DHIS2Version"), "{stderr}");
    assert!(
        stderr.contains("--zero-fill's zeros go to the org units that sent values, unchecked"),
        "{stderr}"
    );
}

#[test]
fn target_metadata_that_is_not_there_is_named_and_nothing_is_written() {
    let dir = Workdir::new();
    dir.write(
        "in.json",
        r#"{"dataValues":[{"dataElement":"EXP","period":"202401","orgUnit":"Facility001","value":"1"}]}"#,
    );
    for args in [
        vec![
            "convert",
            "in.json",
            "-o",
            "out.json",
            "--target-metadata",
            "gone.json",
        ],
        vec!["mapping", "from-metadata", "gone.json", "-o", "m.xlsx"],
    ] {
        let (code, stderr) = dir.run(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("gone.json: cannot open the metadata file"),
            "{stderr}"
        );
        assert_only(&dir, &["in.json"]);
    }
}
