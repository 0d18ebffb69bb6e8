//! Data quality before import (issue 21): each numeric value written screened against the
//! HMIS's own history (`--history`), as `/api/outlierDetection` scores it.

use super::hmis_edits::three_targets;
use super::*;

/// The HMIS's history: DE_X/F and DE_X/M for 2023 (values about 10) and a stored 202401 value
/// of DE_X/F that the transfer replaces; DE_Y has none.
fn history() -> String {
    let mut values = Vec::new();
    let series = [10, 11, 9, 10, 12, 10, 11, 9, 10, 10, 11, 10];
    for (i, x) in series.iter().enumerate() {
        for coc in ["F", "M"] {
            values.push(format!(
                r#"{{"dataElement":"DE_X","period":"2023{:02}","orgUnit":"OuCovered01","categoryOptionCombo":"{coc}","attributeOptionCombo":"HllvX50cXC0","value":"{x}","storedBy":"pi2de-bot","followup":false}}"#,
                i + 1
            ));
        }
    }
    values.push(r#"{"dataElement":"DE_X","period":"202401","orgUnit":"OuCovered01","categoryOptionCombo":"F","value":"10"}"#.into());
    format!(r#"{{"dataValues":[{}]}}"#, values.join(","))
}

#[test]
fn values_written_are_screened_against_their_own_history_and_flagged_on_request() {
    let dir = Workdir::new();
    three_targets(&dir, ["100", "11", "5"], None);
    dir.write("history.json", &history());
    let f = |name: &str| s(&dir.file(name)).to_string();
    for method in ["modz", "z"] {
        let (code, summary, stderr) = dir.convert(&[
            &f("in.json"),
            "-m",
            &f("m.csv"),
            "-o",
            &f("out.json"),
            "--history",
            &f("history.json"),
            "--outlier-method",
            method,
            "--report",
            &f("r.xlsx"),
        ]);
        // Screening, not a filter: every value is written; outliers make the run exit 1.
        assert_eq!(code, 1, "{method}: {stderr}");
        assert_eq!(summary["counts"]["written"], 3, "{method}");
        let o = &summary["outliers"];
        assert_eq!(
            (&o["outliers"], &o["judged"], &o["notJudged"]),
            (
                &serde_json::json!(1),
                &serde_json::json!(2),
                &serde_json::json!(1)
            ),
            "{method}: {o}"
        );
        let first = &o["values"][0];
        assert_eq!(first["key"]["categoryOptionCombo"], "F", "{method}: {o}");
        // The stored 202401 value is replaced by the written one: 12 + 1 values.
        assert_eq!(first["values"], 13, "{method}: {o}");
        let middle = first["middle"].as_f64().unwrap();
        match method {
            // The median of 2023's values and 100 is 10.
            "modz" => assert_eq!(middle, 10.0, "{o}"),
            // The mean is (123 + 100) / 13.
            _ => assert!((middle - 223.0 / 13.0).abs() < 1e-9, "{o}"),
        }
        assert!(
            stderr.contains("outliers (") && stderr.contains("highest: DE_X 202401"),
            "{stderr}"
        );
        let wb = read_workbook(&dir.file("r.xlsx"));
        let sheet = sheet(&wb, "Outliers");
        assert_eq!(sheet.len(), 2, "{method}: header and one outlier");
        assert!(
            json_values(&dir.file("out.json"))
                .iter()
                .all(|v| v.get("followup").is_none())
        );
    }
    // --flag-outliers marks the outlier for follow-up, with the keys both importers read.
    let (code, _, stderr) = dir.convert(&[
        &f("in.json"),
        "-m",
        &f("m.csv"),
        "-o",
        &f("out.json"),
        "--history",
        &f("history.json"),
        "--flag-outliers",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let out = json_values(&dir.file("out.json"));
    let flagged: Vec<&Value> = out
        .iter()
        .filter(|v| v["followUp"] == true && v["followup"] == true)
        .collect();
    assert_eq!(flagged.len(), 1, "{out:?}");
    assert_eq!(flagged[0]["categoryOptionCombo"], "F");
    // A higher threshold: the same value is no outlier (modified score 60.7 < 100).
    let (code, summary, stderr) = dir.convert(&[
        &f("in.json"),
        "-m",
        &f("m.csv"),
        "-o",
        &f("out.json"),
        "--history",
        &f("history.json"),
        "--outlier-threshold",
        "100",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["outliers"]["outliers"], 0);
    assert_eq!(summary["outliers"]["threshold"], 100.0);
    // A threshold that is no score is refused.
    let (code, stderr) = dir.run(&[
        "convert",
        "in.json",
        "-m",
        "m.csv",
        "-o",
        "o.json",
        "--history",
        "history.json",
        "--outlier-threshold",
        "0",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--outlier-threshold"), "{stderr}");
}

#[test]
fn values_outside_their_min_max_bounds_are_reported_and_flagged() {
    let dir = Workdir::new();
    three_targets(&dir, ["100", "11", "5"], None);
    // As GET /api/minMaxDataElements.json?fields=source[id],dataElement[id],optionCombo[id],min,max,generated
    // writes them; the default combo by its UID. No AOC: min-max has none.
    let bound = |de: &str, coc: &str, min: u32, max: u32| {
        format!(
            r#"{{"source":{{"id":"OuCovered01"}},"dataElement":{{"id":"{de}"}},"optionCombo":{{"id":"{coc}"}},"min":{min},"max":{max},"generated":true}}"#
        )
    };
    let bounds = [
        bound("DE_X", "F", 0, 50),
        bound("DE_X", "M", 0, 50),
        bound("DE_Y", "HllvX50cXC0", 10, 20),
    ];
    dir.write(
        "minmax.json",
        &format!(r#"{{"minMaxDataElements":[{}]}}"#, bounds.join(",")),
    );
    let f = |name: &str| s(&dir.file(name)).to_string();
    let (code, summary, stderr) = dir.convert(&[
        &f("in.json"),
        "-m",
        &f("m.csv"),
        "-o",
        &f("out.json"),
        "--min-max",
        &f("minmax.json"),
        "--flag-outliers",
        "--report",
        &f("r.xlsx"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let outside: Vec<(String, f64)> = summary["outliers"]["outsideMinMax"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["key"]["dataElement"].as_str().unwrap().to_string(),
                o["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outside,
        [("DE_X".to_string(), 100.0), ("DE_Y".to_string(), 5.0)],
        "{summary}"
    );
    assert!(
        stderr.contains("min-max: 2 values outside the HMIS's bounds"),
        "{stderr}"
    );
    let flagged = json_values(&dir.file("out.json"))
        .iter()
        .filter(|v| v["followUp"] == true)
        .count();
    assert_eq!(flagged, 2);
    assert_eq!(
        sheet(&read_workbook(&dir.file("r.xlsx")), "Outside min-max").len(),
        3
    );
    let (code, stderr) = dir.run(&[
        "convert",
        "in.json",
        "-m",
        "m.csv",
        "-o",
        "o.json",
        "--flag-outliers",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--flag-outliers needs --history or --min-max"),
        "{stderr}"
    );
}

/// The chart parts of a workbook: each chart's XML.
fn charts(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    let mut out = Vec::new();
    for name in names.iter().filter(|n| n.starts_with("xl/charts/chart")) {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        out.push(text);
    }
    assert!(
        names.iter().any(|n| n.starts_with("xl/drawings/drawing")),
        "charts are placed by drawings: {names:?}"
    );
    out
}

#[test]
fn the_audit_and_compare_workbooks_carry_charts_over_their_tables() {
    let dir = Workdir::new();
    three_targets(&dir, ["100", "11", "5"], Some("DS_A"));
    dir.write("history.json", &history());
    let f = |name: &str| s(&dir.file(name)).to_string();
    let (code, _, stderr) = dir.convert(&[
        &f("in.json"),
        "-m",
        &f("m.csv"),
        "-o",
        &f("out.json"),
        "--history",
        &f("history.json"),
        "--report",
        &f("r.xlsx"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let all = charts(&dir.file("r.xlsx")).join("\n");
    // Totals per period of DS_A (2023's twelve months and 202401: 13 rows), transfer against
    // history; the reasons; the outlier against its history.
    for range in [
        "'Totals by period'!$B$2:$B$14",
        "'Totals by period'!$C$2:$C$14",
        "'Totals by period'!$D$2:$D$14",
        "Reasons!$B$2:$B$18",
        // One outlier: a one-cell range is written as that cell.
        "Outliers!$F$2<",
        "Outliers!$M$2<",
    ] {
        assert!(all.contains(range), "{range} in\n{all}");
    }
    // compare: the changed values, HMIS against transfer.
    dir.write(
        "hmis.json",
        r#"{"dataValues":[{"dataElement":"DE_X","period":"202401","orgUnit":"OuCovered01","categoryOptionCombo":"F","value":"10"}]}"#,
    );
    let (code, stderr) = dir.run(&[
        "compare",
        "out.json",
        "--with",
        "hmis.json",
        "--report",
        "c.xlsx",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let all = charts(&dir.file("c.xlsx")).join("\n");
    assert!(
        all.contains("Changes!$H$") && all.contains("Changes!$G$") && all.contains("Changes!$N$"),
        "{all}"
    );
}

#[test]
fn a_min_max_file_that_is_not_what_dhis2_writes_stops_the_run_naming_it() {
    let dir = Workdir::new();
    three_targets(&dir, ["100", "11", "5"], None);
    for (content, says) in [
        ("not json", "minmax.json: not JSON"),
        (
            r#"{"pager":{}}"#,
            "minmax.json: no list of minMaxDataElements",
        ),
        (
            r#"{"minMaxDataElements":[{"source":{"id":"OU"},"min":1,"max":2}]}"#,
            "minmax.json: not a list of minMaxDataElements",
        ),
    ] {
        dir.write("minmax.json", content);
        let (code, stderr) = dir.run(&[
            "convert",
            "in.json",
            "-m",
            "m.csv",
            "-o",
            "out.json",
            "--min-max",
            "minmax.json",
        ]);
        assert_eq!(code, 2, "{content}: {stderr}");
        assert!(stderr.contains(says), "{content}: {stderr}");
        assert_only(&dir, &["m.csv", "in.json", "minmax.json"]);
    }
}
