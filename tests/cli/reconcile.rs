//! `pi2de reconcile`: DHIS2's import response tied back through the trace. The responses in
//! tests/responses/ are shaped as dhis2-core writes them (see its README).

use super::*;

fn response(name: &str) -> PathBuf {
    repo(&format!("tests/responses/{name}"))
}

/// `pi2de reconcile RESPONSE --trace TRACE --summary …`: exit code, summary, stdout.
fn reconcile(dir: &Workdir, response: &Path, trace: &Path, extra: &[&str]) -> (i32, Value, String) {
    let summary = dir.file("reconcile.json");
    let _ = fs::remove_file(&summary);
    let out = pi2de()
        .args([
            "reconcile",
            s(response),
            "--trace",
            s(trace),
            "--summary",
            s(&summary),
        ])
        .args(extra)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().expect("code");
    let summary = fs::read_to_string(&summary)
        .map(|t| serde_json::from_str(&t).expect("summary JSON"))
        .unwrap_or(Value::Null);
    (code, summary, stdout + &stderr)
}

#[test]
fn a_2_42_conflict_names_the_value_its_source_and_mapping_cell() {
    let dir = Workdir::new();
    let (_, trace) = traced_transfer(&dir);
    let (code, summary, stdout) = reconcile(&dir, &response("2.42-warning.json"), &trace, &[]);
    assert_eq!(code, 1, "a conflict: {stdout}");
    let counts = &summary["counts"];
    assert_eq!(
        (
            counts["imported"].as_u64(),
            counts["ignored"].as_u64(),
            counts["deleted"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(
        (counts["written"].as_u64(), counts["unaccounted"].as_u64()),
        (Some(3), Some(0))
    );
    let conflict = &summary["conflicts"][0];
    assert_eq!(conflict["errorCode"], "E7610");
    assert_eq!(
        conflict["meaning"],
        "data element not found or not accessible"
    );
    let value = &conflict["values"][0][0];
    assert_eq!(
        (
            value["index"].as_str(),
            value["dataElement"].as_str(),
            value["source"].as_str()
        ),
        (Some("1"), Some("DE_C"), Some("PiCCCCCCCCC"))
    );
    assert_eq!(
        (value["line"].as_str(), value["mappingCell"].as_str()),
        (Some("4"), Some("m.csv!A4"))
    );
    assert!(
        stdout.contains("E7610") && stdout.contains("m.csv!A4"),
        "{stdout}"
    );
    // The conflict's `value` is DHIS2's message, never taken for the data value.
    assert_eq!(
        conflict["message"],
        "Data element not found or not accessible: `DE_C`"
    );
}

#[test]
fn a_2_42_identical_reimport_is_ignored_without_conflict_and_clean() {
    let dir = Workdir::new();
    let (_, trace) = traced_transfer(&dir);
    let (code, summary, stdout) = reconcile(&dir, &response("2.42-identical.json"), &trace, &[]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(summary["counts"]["unaccounted"], 0);
    assert!(stdout.contains("every value was accounted for"), "{stdout}");
}

/// Four values, two data sets, one file: indexes 0 and 1 in DS_A, 2 and 3 in DS_B.
fn four_value_trace(dir: &Workdir) -> PathBuf {
    let mapping = dir.write(
        "m4.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_A\nPiBBBBBBBBB,DE_B,DS_B\n",
    );
    let input = dir.write(
        "in4.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_9,1\nPiAAAAAAAAA,202402,OU_9,2\nPiBBBBBBBBB,202401,OU_1,3\nPiBBBBBBBBB,202402,OU_1,4\n",
    );
    let trace = dir.file("trace4.csv");
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&dir.file("out4.json")),
        "--trace",
        s(&trace),
    ]);
    assert_eq!(code, 0, "{stderr}");
    trace
}

#[test]
fn a_2_43_group_rejection_covers_its_group_and_counts_nowhere() {
    let dir = Workdir::new();
    let trace = four_value_trace(&dir);
    let (code, summary, stdout) = reconcile(&dir, &response("2.43-group.json"), &trace, &[]);
    assert_eq!(code, 1, "{stdout}");
    let conflicts = summary["conflicts"].as_array().unwrap();
    let by_code = |c: &str| conflicts.iter().find(|x| x["errorCode"] == c).unwrap();
    let group = by_code("E8022");
    assert_eq!(group["groupRejected"], true);
    let hit: Vec<&str> = group["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[0]["index"].as_str().unwrap())
        .collect();
    assert_eq!(hit, ["0", "1"]);
    let value = by_code("E8122");
    assert_eq!(value["groupRejected"], false);
    assert_eq!(value["values"][0][0]["value"], "4");
    // updated 1 + ignored 1 + 2 in the rejected group = the 4 written.
    assert_eq!(summary["counts"]["accounted"], 4);
    assert_eq!(summary["counts"]["unaccounted"], 0);
    assert!(stdout.contains("whole group rejected"), "{stdout}");
}

#[test]
fn a_2_43_decoding_error_stops_the_import_and_names_one_value_in_its_message() {
    let dir = Workdir::new();
    let mut csv = String::from("dataelement,period,orgunit,value\n");
    for i in 0..1_300 {
        csv.push_str(&format!("DE_A,202401,OU_{i:04},{i}\n"));
    }
    let input = dir.write("many.csv", &csv);
    let trace = dir.file("trace.csv");
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-o",
        s(&dir.file("out.json")),
        "--trace",
        s(&trace),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, summary, stdout) = reconcile(&dir, &response("2.43-stopped.json"), &trace, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(summary["stopped"], true);
    let values = summary["conflicts"][0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0][0]["index"], "1204");
    assert_eq!(values[0][0]["orgUnit"], "OU_1204");
    assert_eq!(
        summary["counts"]["unaccounted"], 1_300,
        "nothing was stored"
    );
    assert!(stdout.contains("the import stopped"), "{stdout}");
}

#[test]
fn e8128_names_several_values_in_its_message() {
    let dir = Workdir::new();
    let (_, trace) = traced_transfer(&dir);
    let (code, summary, _) = reconcile(&dir, &response("2.43-duplicate.json"), &trace, &[]);
    assert_eq!(code, 1);
    let hit: Vec<&str> = summary["conflicts"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[0]["index"].as_str().unwrap())
        .collect();
    assert_eq!(hit, ["0", "1", "2"], "the group's indexes");
    assert_eq!(
        summary["conflicts"][0]["namedInMessage"],
        serde_json::json!([0, 2])
    );
    assert_eq!(summary["conflicts"][0]["groupRejected"], true);
}

#[test]
fn unreadable_files_and_an_ambiguous_trace_are_exit_2_naming_them() {
    let dir = Workdir::new();
    let (_, trace) = traced_transfer(&dir);
    let not_json = dir.write("r.json", "<html>502 Bad Gateway</html>");
    let (code, _, out) = reconcile(&dir, &not_json, &trace, &[]);
    assert_eq!(code, 2);
    assert!(out.contains("r.json: not a JSON import response"), "{out}");
    let job = dir.write(
        "job.json",
        r#"{"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Initiated DATAVALUE_IMPORT","response":{"responseType":"JobConfigurationWebMessageResponse","name":"DATAVALUE_IMPORT","id":"aBcDeFgHiJk","jobType":"DATAVALUE_IMPORT"}}"#,
    );
    let (code, _, out) = reconcile(&dir, &job, &trace, &[]);
    assert_eq!(code, 2);
    assert!(
        out.contains("taskSummaries/DATAVALUE_IMPORT/aBcDeFgHiJk"),
        "{out}"
    );
    let not_trace = dir.write("t.csv", "a,b\n1,2\n");
    let (code, _, out) = reconcile(&dir, &response("2.42-warning.json"), &not_trace, &[]);
    assert_eq!(code, 2);
    assert!(out.contains("t.csv: line 1: not a pi2de trace"), "{out}");
}

#[test]
fn the_report_workbook_lists_conflicts_with_the_trace_columns() {
    let dir = Workdir::new();
    let (_, trace) = traced_transfer(&dir);
    let report = dir.file("reconcile.xlsx");
    let (code, _, _) = reconcile(
        &dir,
        &response("2.42-warning.json"),
        &trace,
        &["--report", s(&report)],
    );
    assert_eq!(code, 1);
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&report).expect("workbook");
    use calamine::Reader;
    let conflicts = wb.worksheet_range("Conflicts").expect("Conflicts sheet");
    let rows: Vec<Vec<String>> = conflicts
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "errorCode");
    assert!(rows[1].contains(&"E7610".to_string()) && rows[1].contains(&"m.csv!A4".to_string()));
}

#[test]
fn a_trace_from_a_mapping_named_with_commas_and_quotes_reads_back_cell_for_cell() {
    // Windows forbids `"` in file names: there, quotes of the other kind.
    let names = if cfg!(windows) {
        ["immunisation, '2024'.csv", "=HYPERLINK('x'), m.csv"]
    } else {
        ["immunisation, \"2024\".csv", "=HYPERLINK(\"x\"), m.csv"]
    };
    for name in names {
        let dir = Workdir::new();
        let mapping = dir.write(
            name,
            "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_A\nPiBBBBBBBBB,DE_B,DS_B\n",
        );
        let input = dir.write(
            "in4.csv",
            "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_9,1\nPiAAAAAAAAA,202402,OU_9,2\nPiBBBBBBBBB,202401,OU_1,3\nPiBBBBBBBBB,202402,OU_1,4\n",
        );
        let trace = dir.file("trace.csv");
        let out = dir.file("out4.json");
        let (code, _, stderr) = dir.convert(&[
            s(&input),
            "-m",
            s(&mapping),
            "-o",
            s(&out),
            "--trace",
            s(&trace),
        ]);
        assert_eq!(code, 0, "{stderr}");
        // Every record has the header's 18 fields.
        let mut records = csv::Reader::from_path(&trace).unwrap();
        assert_eq!(records.headers().unwrap().len(), 18);
        for r in records.records() {
            assert_eq!(r.unwrap().len(), 18, "{name}");
        }
        let (code, summary, stdout) = reconcile(&dir, &response("2.43-group.json"), &trace, &[]);
        assert_eq!(code, 1, "{stdout}");
        let conflicts = summary["conflicts"].as_array().unwrap();
        let group = conflicts
            .iter()
            .find(|c| c["errorCode"] == "E8022")
            .unwrap();
        let first = &group["values"][0][0];
        assert_eq!(first["index"], "0");
        assert_eq!(first["source"], "PiAAAAAAAAA");
        assert_eq!(
            first["mappingCell"].as_str().unwrap(),
            // A `'` in a quoted sheet name is doubled, as spreadsheets write it.
            format!("'{}'!A2", name.replace('\'', "''")),
            "the cell as the mapping names it, guard removed"
        );
        assert_eq!(first["input"].as_str().unwrap(), s(&input));
    }
}
