//! The transfer policy: windows, current periods, deletions, split files, completeness, pre-flight.

use super::*;

pub(crate) const MONTHS_AND_QUARTER: &str = "dataelement,period,orgunit,value
DE_A,202401,OU_A,1
DE_A,202402,OU_A,2
DE_A,202403,OU_A,3
DE_A,2024Q1,OU_A,6
DE_A,2024W10,OU_A,7
DE_A,2024NovQ1,OU_A,8
";

#[test]
fn period_window_cuts_a_quarter_file_by_monthly_ids() {
    let dir = Workdir::new();
    let input = dir.write("q1.csv", MONTHS_AND_QUARTER);
    let out = dir.file("out.json");
    let (code, summary, _) =
        dir.convert(&[s(&input), "-o", s(&out), "--periods", "202402..202403"]);
    assert_eq!(code, 1);
    assert_eq!(
        left(&summary, "outsidePeriod"),
        3,
        "January, the quarter and NovQ1 stick out"
    );
    assert_eq!(
        keyed(&json_values(&out)),
        vec![
            "DE_A 202402 OU_A   = 2",
            "DE_A 202403 OU_A   = 3",
            "DE_A 2024W10 OU_A   = 7"
        ]
    );
    // NovQ1 is November 2023 – January 2024.
    let (_, summary, _) = dir.convert(&[
        s(&input),
        "-o",
        s(&out),
        "--periods",
        "2023-11-01..2024-01-31",
    ]);
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["DE_A 202401 OU_A   = 1", "DE_A 2024NovQ1 OU_A   = 8"]
    );
    assert_eq!(left(&summary, "outsidePeriod"), 4);
    let (code, summary, stderr) = dir.convert(&[s(&input), "-o", s(&out), "--periods", "202312.."]);
    assert_eq!(code, 1, "values outside the window are left out: {stderr}");
    assert!(left(&summary, "outsidePeriod") > 0);
    assert!(
        !keyed(&json_values(&out))
            .iter()
            .any(|k| k.contains("NovQ1")),
        "NovQ1 starts in November 2023"
    );
    pi2de()
        .args([
            "convert",
            s(&input),
            "-o",
            s(&out),
            "--periods",
            "202403..202401",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--periods"));
}

#[test]
fn exclude_current_leaves_out_unfinished_periods() {
    let dir = Workdir::new();
    let input = dir.write("q1.csv", MONTHS_AND_QUARTER);
    let out = dir.file("out.json");
    let (code, summary, _) = dir.convert(&[
        s(&input),
        "-o",
        s(&out),
        "--exclude-current",
        "--as-of",
        "2024-03-15",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        left(&summary, "currentPeriod"),
        2,
        "March and Q1 have not ended on 15 March"
    );
    assert_eq!(
        keyed(&json_values(&out)),
        vec![
            "DE_A 202401 OU_A   = 1",
            "DE_A 202402 OU_A   = 2",
            "DE_A 2024NovQ1 OU_A   = 8",
            "DE_A 2024W10 OU_A   = 7",
        ]
    );
    // --as-of alone sets the import date; only --exclude-current leaves current periods out.
    let (code, summary, _) = dir.convert(&[s(&input), "-o", s(&out), "--as-of", "2024-03-15"]);
    assert_eq!((code, left(&summary, "currentPeriod")), (0, 0));
    pi2de()
        .args([
            "convert",
            s(&input),
            "-o",
            s(&out),
            "--exclude-current",
            "--as-of",
            "15/03/2024",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--as-of"));
}

#[test]
fn a_rerun_writes_one_update_and_one_deletion() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement\nPiAAAAAAAAA,DE_A\nPiBBBBBBBBB,DE_B\nPiCCCCCCCCC,DE_C\n",
    );
    let first = write(
        &dir,
        "jan.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,10\nPiBBBBBBBBB,202401,OU_A,20\nPiCCCCCCCCC,202401,OU_A,30\nPiAAAAAAAAA,202312,OU_A,99\n",
    );
    let january = dir.file("january.json");
    dir.convert(&[s(&first), "-m", s(&mapping), "-o", s(&january)]);
    // The tracker was corrected: B changed, C is gone; December is not re-sent.
    let again = write(
        &dir,
        "jan-again.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,10\nPiBBBBBBBBB,202401,OU_A,21\n",
    );
    let out = dir.file("january-2.json");
    let report = dir.file("audit.xlsx");
    let (code, summary, stderr) = dir.convert(&[
        s(&again),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--previous",
        s(&january),
        "--report",
        s(&report),
    ]);
    assert_eq!(
        code, 0,
        "deletions are outside the reconciliation: {stderr}"
    );
    assert_eq!(summary["deletions"], 1);
    assert_eq!(summary["counts"]["written"], 2);
    let values = json_values(&out);
    assert_eq!(values.len(), 3);
    let deleted: Vec<&Value> = values.iter().filter(|v| v["deleted"] == true).collect();
    assert_eq!(
        deleted.len(),
        1,
        "nothing else is deleted: not December, not the unchanged A"
    );
    assert_eq!(
        (
            deleted[0]["dataElement"].as_str(),
            deleted[0]["value"].as_str()
        ),
        (Some("DE_C"), Some("30"))
    );
    assert!(
        values.iter().any(|v| v["dataElement"] == "DE_B"
            && v["value"] == "21"
            && v.get("deleted").is_none())
    );
    assert!(stderr.contains("deletions          1"), "{stderr}");
    let wb = read_workbook(&report);
    assert_eq!(
        sheet(&wb, "Deletions")[1][..6],
        ["DE_C", "202401", "OU_A", "", "", "30"]
    );
    // In CSV and XML too.
    let csv = dir.file("out.csv");
    dir.convert(&[
        s(&again),
        "-m",
        s(&mapping),
        "-o",
        s(&csv),
        "--previous",
        s(&january),
    ]);
    assert!(
        fs::read_to_string(&csv)
            .unwrap()
            .contains("DE_C,202401,OU_A,,,30,,,,false,true\n")
    );
    let xml = dir.file("out.xml");
    dir.convert(&[
        s(&again),
        "-m",
        s(&mapping),
        "-o",
        s(&xml),
        "--previous",
        s(&january),
    ]);
    assert!(fs::read_to_string(&xml).unwrap().contains("<dataValue dataElement=\"DE_C\" period=\"202401\" orgUnit=\"OU_A\" value=\"30\" deleted=\"true\"/>"));
    // Within a --periods window, December is in scope too.
    let (_, summary, _) = dir.convert(&[
        s(&again),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--previous",
        s(&january),
        "--periods",
        "202312..202401",
    ]);
    assert_eq!(summary["deletions"], 2);
    // Previous files whose ids follow another scheme cannot be compared.
    let uid_run = dir.file("uids.json");
    dir.convert(&[s(&first), "-o", s(&uid_run)]);
    pi2de()
        .args([
            "convert",
            s(&again),
            "-m",
            s(&mapping),
            "-o",
            s(&out),
            "--previous",
            s(&uid_run),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be compared"));
}

#[test]
fn split_by_data_set_writes_one_file_per_data_set() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_MONTHLY\nPiBBBBBBBBB,DE_B,DS_MONTHLY\nPiCCCCCCCCC,DE_C,DS_OTHER\nPiDDDDDDDDD,DE_D,\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,1\nPiBBBBBBBBB,202401,OU_A,2\nPiCCCCCCCCC,202401,OU_A,3\nPiAAAAAAAAA,202402,OU_A,4\nPiDDDDDDDDD,202401,OU_A,5\n",
    );
    let folder = dir.file("hmis");
    let (code, summary, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&folder),
        "--split-by",
        "data-set",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut names: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".pi2de-files.json",
            "DS_MONTHLY.json",
            "DS_OTHER.json",
            "no-data-set.json"
        ]
    );
    let monthly: Value =
        serde_json::from_str(&fs::read_to_string(folder.join("DS_MONTHLY.json")).unwrap()).unwrap();
    assert_eq!(
        (
            monthly["dataSet"].as_str(),
            monthly["dataSetIdScheme"].as_str()
        ),
        (Some("DS_MONTHLY"), Some("CODE"))
    );
    assert_eq!(monthly["dataValues"].as_array().unwrap().len(), 3);
    let none: Value =
        serde_json::from_str(&fs::read_to_string(folder.join("no-data-set.json")).unwrap())
            .unwrap();
    assert!(none.get("dataSet").is_none());
    let outputs = summary["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 3);
    assert!(
        outputs
            .iter()
            .all(|o| o["sha256"].as_str().unwrap().len() == 64)
    );
    assert_eq!(
        outputs
            .iter()
            .map(|o| o["values"].as_u64().unwrap())
            .sum::<u64>(),
        5
    );
    assert!(
        stderr.contains("To import") && stderr.contains("data set DS_OTHER"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 value belongs to no known data set"),
        "{stderr}"
    );
    // --max-values splits further into numbered files.
    let parts = dir.file("parts");
    dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&parts),
        "--split-by",
        "data-set",
        "--max-values",
        "2",
        "--to",
        "csv",
    ]);
    let mut names: Vec<String> = fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".pi2de-files.json",
            "DS_MONTHLY-1.csv",
            "DS_MONTHLY-2.csv",
            "DS_OTHER.csv",
            "no-data-set.csv"
        ]
    );
    assert_eq!(
        fs::read_to_string(parts.join("DS_MONTHLY-2.csv"))
            .unwrap()
            .lines()
            .count(),
        2,
        "header and one value"
    );
    pi2de()
        .args([
            "convert",
            s(&input),
            "-o",
            s(&folder),
            "--split-by",
            "data-set",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs to know the data sets"));
    pi2de()
        .args([
            "convert",
            s(&input),
            "-m",
            s(&mapping),
            "-o",
            s(&out_file(&dir)),
            "--max-values",
            "2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--split-by <WHAT>"));
    assert!(!out_file(&dir).exists(), "nothing written");
}

pub(crate) fn out_file(dir: &Workdir) -> PathBuf {
    dir.file("x.json")
}

#[test]
fn completeness_registers_data_sets_that_received_values() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_MONTHLY\nPiBBBBBBBBB,DE_B,DS_MONTHLY\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_A,1\nPiBBBBBBBBB,202401,OU_A,2\nPiAAAAAAAAA,202401,OU_B,3\nPiAAAAAAAAA,202402,OU_A,4\n",
    );
    let out = dir.file("out.json");
    let complete = dir.file("complete.json");
    let (_, summary, _) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--complete",
        s(&complete),
    ]);
    let doc: Value = serde_json::from_str(&fs::read_to_string(&complete).unwrap()).unwrap();
    let regs = doc["completeDataSetRegistrations"].as_array().unwrap();
    assert_eq!(regs.len(), 3);
    assert_eq!(
        regs[0],
        serde_json::json!({"dataSet": "DS_MONTHLY", "period": "202401", "organisationUnit": "OU_A", "completed": true})
    );
    assert_eq!(summary["completeness"]["registrations"], 3);
    dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--complete",
        s(&complete),
        "--complete-min",
        "2",
    ]);
    let doc: Value = serde_json::from_str(&fs::read_to_string(&complete).unwrap()).unwrap();
    assert_eq!(
        doc["completeDataSetRegistrations"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only OU_A in January has two values"
    );
    pi2de()
        .args([
            "convert",
            s(&input),
            "-o",
            s(&out),
            "--complete",
            s(&complete),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs to know the data sets"));
}

#[test]
#[ignore = "needs ../shared/reference (absent from a plain clone); .ci/run runs it when present"]
fn target_metadata_pre_flight_with_the_covid_registry() {
    let (_, agg) = who_pair(
        "CVC_EIR_TRK_2.38_COMPLETE.json",
        "CVC_EIR_AGG_2.38_AGG.json",
    );
    let dir = Workdir::new();
    // No valueType in the mapping: it comes from the data element.
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombo\nRJ6pdxga9Od,CVC_EIR_AGG_PPL_1ST_DOSE,0059Y_F\nPiUnknownAA,CVC_NOT_THERE,\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value
RJ6pdxga9Od,20240301,DiszpKrYNg8,12.0
RJ6pdxga9Od,2024W10,DiszpKrYNg8,70.0
RJ6pdxga9Od,20240302,DiszpKrYNg8,2.5
PiUnknownAA,20240301,DiszpKrYNg8,1
",
    );
    let out = dir.file("out.json");
    let report = dir.file("audit.xlsx");
    let (code, summary, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--target-metadata",
        s(&agg),
        "--report",
        s(&report),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        left(&summary, "wrongPeriodType"),
        1,
        "a weekly period for the Daily data set CVC_EIR_AGG"
    );
    assert_eq!(left(&summary, "unknownTarget"), 1);
    assert_eq!(
        left(&summary, "invalidValue"),
        1,
        "2.5 is not an INTEGER_ZERO_OR_POSITIVE"
    );
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["CVC_EIR_AGG_PPL_1ST_DOSE 20240301 DiszpKrYNg8 0059Y_F  = 12"]
    );
    let listed = sheet(&read_workbook(&report), "Left out")
        .iter()
        .map(|r| r[0].clone())
        .collect::<Vec<_>>();
    assert!(
        listed.contains(&"wrongPeriodType".to_string())
            && listed.contains(&"unknownTarget".to_string()),
        "{listed:?}"
    );
    let detail = summary["leftOutValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["reason"] == "wrongPeriodType")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("Weekly") && detail.contains("CVC_EIR_AGG is Daily"),
        "{detail}"
    );
    // Split by the metadata's data sets.
    let folder = dir.file("split");
    dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&folder),
        "--target-metadata",
        s(&agg),
        "--split-by",
        "data-set",
    ]);
    assert!(folder.join("CVC_EIR_AGG.json").exists());
}

#[test]
fn org_units_not_assigned_to_the_data_set_are_left_out() {
    let dir = Workdir::new();
    let meta: Value = serde_json::from_str(AGG_METADATA).unwrap();
    let mut meta = meta;
    meta["organisationUnits"] =
        serde_json::json!([{"id": "OuAssigned1", "name": "A"}, {"id": "OuElsewhere", "name": "B"}]);
    meta["dataSets"][0]["organisationUnits"] = serde_json::json!([{"id": "OuAssigned1"}]);
    let agg = dir.write("agg.json", &meta.to_string());
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement\nPiAAAAAAAAA,DE_TOTAL\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OuAssigned1,1\nPiAAAAAAAAA,202401,OuElsewhere,2\nPiAAAAAAAAA,202401,OuUnknownXX,3\nPiAAAAAAAAA,2024Q1,OuAssigned1,4\n",
    );
    let out = dir.file("out.json");
    let (_, summary, _) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--target-metadata",
        s(&agg),
    ]);
    assert_eq!(left(&summary, "orgUnitNotAssigned"), 1);
    assert_eq!(left(&summary, "wrongPeriodType"), 1);
    assert_eq!(
        keyed(&json_values(&out)),
        vec![
            "DE_TOTAL 202401 OuAssigned1   = 1",
            "DE_TOTAL 202401 OuUnknownXX   = 3"
        ],
        "an org unit the metadata does not know is not judged"
    );
}

#[test]
fn every_new_reason_is_in_the_summary_and_the_report() {
    let dir = Workdir::new();
    let mut meta: Value = serde_json::from_str(AGG_METADATA).unwrap();
    meta["organisationUnits"] =
        serde_json::json!([{"id": "OuAssigned1", "name": "A"}, {"id": "OuElsewhere", "name": "B"}]);
    meta["dataSets"][0]["organisationUnits"] = serde_json::json!([{"id": "OuAssigned1"}]);
    let agg = dir.write("agg.json", &meta.to_string());
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement\nPiAAAAAAAAA,DE_TOTAL\nPiXXXXXXXXX,DE_NOPE\n",
    );
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value
PiAAAAAAAAA,202401,OuAssigned1,1
PiXXXXXXXXX,202401,OuAssigned1,2
PiAAAAAAAAA,202301,OuAssigned1,3
PiAAAAAAAAA,202412,OuAssigned1,4
PiAAAAAAAAA,2024Q1,OuAssigned1,5
PiAAAAAAAAA,202402,OuElsewhere,6
",
    );
    let out = dir.file("out.json");
    let report = dir.file("audit.xlsx");
    let (code, summary, _) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--target-metadata",
        s(&agg),
        "--periods",
        "202401..",
        "--exclude-current",
        "--as-of",
        "2024-12-15",
        "--report",
        s(&report),
    ]);
    assert_eq!(code, 1);
    assert_eq!(summary["counts"]["written"], 1);
    let wb = read_workbook(&report);
    let listed: Vec<String> = sheet(&wb, "Left out")
        .iter()
        .map(|r| r[0].clone())
        .collect();
    for reason in [
        "unknownTarget",
        "outsidePeriod",
        "currentPeriod",
        "wrongPeriodType",
        "orgUnitNotAssigned",
    ] {
        assert_eq!(left(&summary, reason), 1, "{reason} in the summary counts");
        assert!(
            summary["leftOutValues"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["reason"] == reason),
            "{reason} in the summary list"
        );
        assert!(
            listed.iter().any(|r| r == reason),
            "{reason} on the Left out sheet"
        );
        assert_eq!(
            row_where(sheet(&wb, "Summary"), "item", &format!("  {reason}"))[1],
            "1",
            "{reason} on the Summary sheet"
        );
    }
}

#[test]
fn a_split_folder_never_mixes_two_runs() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_MONTHLY\n",
    );
    let mut csv = String::from("dataelement,period,orgunit,value\n");
    for i in 0..5 {
        csv.push_str(&format!("PiAAAAAAAAA,202401,OU_{i},{i}\n"));
    }
    let march = write(&dir, "march.csv", &csv);
    let april = write(
        &dir,
        "april.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202402,OU_A,7\n",
    );
    let folder = dir.file("hmis");
    let split = |input: &Path| {
        dir.convert(&[
            s(input),
            "-m",
            s(&mapping),
            "-o",
            s(&folder),
            "--split-by",
            "data-set",
            "--max-values",
            "2",
        ])
    };
    let (code, _, stderr) = split(&march);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        files_in(&folder),
        [
            ".pi2de-files.json",
            "DS_MONTHLY-1.json",
            "DS_MONTHLY-2.json",
            "DS_MONTHLY-3.json"
        ]
    );
    // The next month has one value: the three parts of March must not stay beside it.
    let (code, summary, stderr) = split(&april);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(files_in(&folder), [".pi2de-files.json", "DS_MONTHLY.json"]);
    let listed: Vec<&str> = summary["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [s(&folder.join("DS_MONTHLY.json"))]);
    // A file pi2de did not write, or one changed since, stops the run before anything is read.
    fs::write(folder.join("notes.txt"), "to do").unwrap();
    fs::write(folder.join("DS_MONTHLY.json"), "edited by hand").unwrap();
    let (code, _, stderr) = split(&march);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("DS_MONTHLY.json, notes.txt") && stderr.contains("did not write"),
        "{stderr}"
    );
    assert_eq!(
        files_in(&folder),
        [".pi2de-files.json", "DS_MONTHLY.json", "notes.txt"]
    );
    assert_eq!(
        fs::read_to_string(folder.join("DS_MONTHLY.json")).unwrap(),
        "edited by hand"
    );
}

#[test]
fn each_file_counts_the_deletions_it_holds() {
    let dir = Workdir::new();
    let mapping = dir.write(
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_A\nPiBBBBBBBBB,DE_B,DS_B\n",
    );
    // Generated values, every seventh a deletion; with `conflict`, one key also gets two
    // different values (rejected: the output then holds fewer keys than were stored).
    for conflict in [false, true] {
        let mut text = String::from("dataelement,period,orgunit,value,deleted\n");
        let mut deleted = 0;
        for i in 0..300 {
            let pi = if i % 3 == 0 {
                "PiBBBBBBBBB"
            } else {
                "PiAAAAAAAAA"
            };
            let gone = i % 7 == 0;
            deleted += usize::from(gone);
            text.push_str(&format!(
                "{pi},2024{:02},OU_{},{i},{gone}\n",
                i % 12 + 1,
                i / 12
            ));
        }
        if conflict {
            text.push_str("PiAAAAAAAAA,202401,OU_Z,1,false\nPiAAAAAAAAA,202401,OU_Z,2,false\n");
        }
        let input = dir.write("in.csv", &text);
        for split in [false, true] {
            let out = dir.file(if split { "out" } else { "out.json" });
            let mut args = vec![s(&input), "-m", s(&mapping), "-o", s(&out)];
            if split {
                args.extend(["--split-by", "data-set"]);
            }
            let (code, summary, stderr) = dir.convert(&args);
            assert!(code < 2, "{stderr}");
            let files = summary["outputs"].as_array().expect("outputs");
            let mut total = 0;
            for f in files {
                let path = f["path"].as_str().expect("path");
                let held = json_values(Path::new(path))
                    .iter()
                    .filter(|v| v["deleted"] == true)
                    .count();
                assert_eq!(f["deletions"], held, "{path}, conflict {conflict}");
                total += held;
            }
            assert_eq!(total, deleted, "split {split}, conflict {conflict}");
            assert_eq!(files.len(), if split { 2 } else { 1 });
        }
    }
}
