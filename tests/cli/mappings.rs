//! Mapping workbooks as people make them.

use super::*;

#[test]
fn xlsx_mapping_with_title_row_numeric_codes_whitespace_and_disabled_row() {
    let dir = Workdir::new();
    let mapping = xlsx_mapping(
        &dir,
        "m.xlsx",
        &[
            "Program indicator",
            "Data_Element",
            "COC",
            "Enabled",
            "Notes",
        ],
        &[
            &["PiAAAAAAAAA", "1234", "", "", "typed as a number in Excel"],
            &["PiBBBBBBBBB", "  DE_B ", "", "yes", "stray spaces"],
            &["PiCCCCCCCCC", "DE_C", "", "no", "switched off"],
            &["", "", "", "", ""],
        ],
        None,
    );
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[
        {"dataElement":"PiAAAAAAAAA","period":"202401","orgUnit":"OU_A","value":"3.0"},
        {"dataElement":"PiBBBBBBBBB","period":"202401","orgUnit":"OU_A","value":"4.0"},
        {"dataElement":"PiCCCCCCCCC","period":"202401","orgUnit":"OU_A","value":"5.0"}]}"#,
    );
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 1);
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["1234 202401 OU_A   = 3", "DE_B 202401 OU_A   = 4"]
    );
    assert_eq!(left(&summary, "disabled"), 1);
    let findings = summary["mapping"]["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["cell"] == "Mapping!B5" && f["severity"] == "warning"),
        "whitespace warning at its cell: {findings:?}"
    );
    assert!(stderr.contains("Mapping!B5"), "{stderr}");
    assert_eq!(summary["mapping"]["rows"][2]["enabled"], false);
}

#[test]
fn ambiguous_mapping_stops_with_the_cell_named() {
    let dir = Workdir::new();
    let mapping = xlsx_mapping(
        &dir,
        "m.xlsx",
        HEADER,
        &[
            &["PiAAAAAAAAA", "DE_A", "", "", ""],
            &["PiAAAAAAAAA", "DE_B", "", "", ""],
            &["PiCCCCCCCCC", "", "", "", ""],
        ],
        None,
    );
    let out = dir.file("out.json");
    pi2de()
        .args([
            "convert",
            s(&repo(SAMPLES[0])),
            "-m",
            s(&mapping),
            "-o",
            s(&out),
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("Mapping!A5").and(predicate::str::contains("mapped again")),
        )
        .stderr(
            predicate::str::contains("Mapping!B6")
                .and(predicate::str::contains("no `dataElement`")),
        );
    assert!(!out.exists());
    let no_header = dir.write("bad.csv", "source_id,target\nPiAAAAAAAAA,DE_A\n");
    pi2de()
        .args([
            "convert",
            s(&repo(SAMPLES[0])),
            "-m",
            s(&no_header),
            "-o",
            s(&out),
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.csv!A1")
                .and(predicate::str::contains("programIndicator")),
        );
}
