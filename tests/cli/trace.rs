//! `convert --trace`: the chain of custody of every value written.

use super::*;

/// The rows of a trace CSV as maps from column to cell.
pub(crate) fn trace_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = fs::read_to_string(path).expect("trace");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A transfer with two sources summed into one key, a plain value, and a deletion found against
/// an earlier output.
pub(crate) fn traced_transfer(dir: &Workdir) -> (PathBuf, PathBuf) {
    let mapping = dir.write(
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_A\nPiBBBBBBBBB,DE_A,DS_A\nPiCCCCCCCCC,DE_C,DS_A\n",
    );
    let input = dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_1,3\nPiBBBBBBBBB,202401,OU_1,4\nPiCCCCCCCCC,202401,OU_1,5\n",
    );
    dir.write(
        "earlier.json",
        r#"{"dataValues":[
          {"dataElement":"DE_C","period":"202401","orgUnit":"OU_1","value":"5"},
          {"dataElement":"DE_C","period":"202401","orgUnit":"OU_2","value":"9"}]}"#,
    );
    let out = dir.file("out.json");
    let trace = dir.file("trace.csv");
    let (code, summary, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--on-duplicate",
        "sum",
        "--previous",
        s(&dir.file("earlier.json")),
        "--trace",
        s(&trace),
    ]);
    // Summing folds two values into one: exit 1, as any duplicate that was not identical.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(summary["deletions"], 1);
    (out, trace)
}

#[test]
fn the_trace_ties_every_written_value_to_its_sources() {
    let dir = Workdir::new();
    let (out, trace) = traced_transfer(&dir);
    let rows = trace_rows(&trace);
    let pick = |r: &std::collections::BTreeMap<String, String>, cols: &[&str]| {
        cols.iter()
            .map(|c| r[*c].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let cols = [
        "index",
        "dataElement",
        "orgUnit",
        "value",
        "deleted",
        "source",
        "sourceValue",
        "input",
        "line",
        "mappingCell",
    ];
    let got: Vec<String> = rows.iter().map(|r| pick(r, &cols)).collect();
    let input = s(&dir.file("in.csv")).to_string();
    let earlier = s(&dir.file("earlier.json")).to_string();
    assert_eq!(
        got,
        [
            format!("0 DE_A OU_1 7 false PiAAAAAAAAA 3 {input} 2 m.csv!A2"),
            format!("0 DE_A OU_1 7 false PiBBBBBBBBB 4 {input} 3 m.csv!A3"),
            format!("1 DE_C OU_1 5 false PiCCCCCCCCC 5 {input} 4 m.csv!A4"),
            format!("2 DE_C OU_2 9 true  9 {earlier} 3 m.csv!A4"),
        ]
    );
    assert!(rows.iter().all(|r| r["file"] == s(&out)));
    // The index is the value's place in the file DHIS2 reads.
    let values = json_values(&out);
    assert_eq!(values[2]["orgUnit"], "OU_2");
    assert_eq!(values[2]["deleted"], true);
}

#[test]
fn a_split_trace_numbers_each_file_from_zero() {
    let dir = Workdir::new();
    let mapping = dir.write(
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DE_A,DS_A\nPiBBBBBBBBB,DE_B,DS_B\n",
    );
    let input = dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_1,1\nPiBBBBBBBBB,202401,OU_1,2\nPiAAAAAAAAA,202401,OU_2,3\n",
    );
    let folder = dir.file("hmis");
    let trace = dir.file("trace.csv");
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&folder),
        "--split-by",
        "data-set",
        "--trace",
        s(&trace),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let got: Vec<(String, String, String)> = trace_rows(&trace)
        .into_iter()
        .map(|r| (r["file"].clone(), r["index"].clone(), r["value"].clone()))
        .collect();
    let a = s(&folder.join("DS_A.json")).to_string();
    let b = s(&folder.join("DS_B.json")).to_string();
    assert_eq!(
        got,
        [
            (a.clone(), "0".into(), "1".into()),
            (a, "1".into(), "3".into()),
            (b, "0".into(), "2".into())
        ]
    );
}

#[test]
fn the_trace_is_refused_where_it_would_overwrite_a_file_and_absent_in_a_dry_run() {
    let dir = Workdir::new();
    let input = dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nDE_A,202401,OU_1,1\n",
    );
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-o",
        s(&dir.file("out.json")),
        "--trace",
        s(&input),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--trace") && stderr.contains("would overwrite the input"),
        "{stderr}"
    );
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-o",
        s(&dir.file("out.json")),
        "--trace",
        s(&dir.file("t.csv")),
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!dir.file("t.csv").exists());
}

#[test]
fn every_format_gives_the_value_as_exported_and_the_line_it_is_on() {
    // The same three values as CSV, pretty-printed JSON and XML, the second spread over lines;
    // their texts are not the values written (`10.0` → `10`, `+5` → `5`, `007` → `7`).
    let dir = Workdir::new();
    dir.write(
        "m.csv",
        "programIndicator,dataElement,valueType\nPiAAAAAAAAA,DE_A,INTEGER\n",
    );
    dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,OU_1,10.0\n\nPiAAAAAAAAA,202402,OU_1,5.00\nPiAAAAAAAAA,202403,OU_1,7\n",
    );
    dir.write(
        "in.json",
        "{\n  \"dataValues\": [\n    {\"dataElement\": \"PiAAAAAAAAA\", \"period\": \"202401\", \"orgUnit\": \"OU_1\", \"value\": \"10.0\"},\n\n    {\n      \"dataElement\": \"PiAAAAAAAAA\",\n      \"period\": \"202402\",\n      \"orgUnit\": \"OU_1\",\n      \"value\": \"5.00\"\n    },\n    {\"dataElement\": \"PiAAAAAAAAA\", \"period\": \"202403\", \"orgUnit\": \"OU_1\", \"value\": 7}\n  ]\n}\n",
    );
    dir.write(
        "in.xml",
        "<?xml version=\"1.0\"?>\n<dataValueSet xmlns=\"http://dhis2.org/schema/dxf/2.0\">\n  <dataValue dataElement=\"PiAAAAAAAAA\" period=\"202401\" orgUnit=\"OU_1\" value=\"10.0\"/>\n\n  <dataValue dataElement=\"PiAAAAAAAAA\"\n     period=\"202402\" orgUnit=\"OU_1\"\n     value=\"5.00\"/>\n  <dataValue dataElement=\"PiAAAAAAAAA\" period=\"202403\" orgUnit=\"OU_1\" value=\"7\"/>\n</dataValueSet>\n",
    );
    for (input, lines) in [
        ("in.csv", [2, 4, 5]),
        ("in.json", [3, 5, 11]),
        ("in.xml", [3, 5, 8]),
    ] {
        let trace = format!("{input}.trace.csv");
        let (code, stderr) = dir.run(&[
            "convert", input, "-m", "m.csv", "-o", "out.json", "--trace", &trace,
        ]);
        assert_eq!(code, 0, "{input}: {stderr}");
        let rows = trace_rows(&dir.file(&trace));
        let got: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["value"].clone(),
                    r["sourceValue"].clone(),
                    r["line"].clone(),
                )
            })
            .collect();
        let expected: Vec<(String, String, String)> = [("10", "10.0"), ("5", "5.00"), ("7", "7")]
            .iter()
            .zip(lines)
            .map(|((v, e), l)| (v.to_string(), e.to_string(), l.to_string()))
            .collect();
        assert_eq!(got, expected, "{input}");
    }
}
