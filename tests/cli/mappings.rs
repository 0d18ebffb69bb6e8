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

#[test]
fn an_office_lock_file_given_as_the_mapping_is_named_for_what_it_is() {
    let dir = Workdir::new();
    // A lock file holds the owner's name, not a workbook; its name is the workbook's with `~$`.
    dir.write("~$mapping.xlsx", "\u{5}Maria Hansen");
    dir.write("in.json", r#"{"dataValues":[{"dataElement":"PiAAAAAAAAA","period":"202401","orgUnit":"OU","value":"1"}]}"#);
    for args in [
        vec!["mapping", "check", "~$mapping.xlsx"],
        vec![
            "convert",
            "in.json",
            "-m",
            "~$mapping.xlsx",
            "-o",
            "out.json",
        ],
    ] {
        let (code, stderr) = dir.run(&args);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("lock file") && stderr.contains("give mapping.xlsx"),
            "{stderr}"
        );
        assert_only(&dir, &["~$mapping.xlsx", "in.json"]);
    }
}

#[test]
fn the_template_formats_its_id_columns_as_text() {
    let dir = Workdir::new();
    let (code, stderr) = dir.run(&["mapping", "template", "-o", "t.xlsx"]);
    assert_eq!(code, 0, "{stderr}");
    let file = std::fs::File::open(dir.file("t.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    // The Text number format ("@"); the id columns (A: programIndicator, …) carry a style
    // that uses it.
    let styles = read("xl/styles.xml");
    assert!(styles.contains(r#"formatCode="@""#), "{styles}");
    let sheet = read("xl/worksheets/sheet1.xml");
    let cols: Vec<&str> = sheet.split("<col ").skip(1).collect();
    let styled = |i: usize| cols[i].contains("style=");
    // programIndicator (A) and dataElement (E) are Text; the name columns (B, F) stay General.
    assert!(
        styled(0) && styled(4) && !styled(1) && !styled(5),
        "{sheet}"
    );
    assert_eq!(
        cols.iter().filter(|c| c.contains("style=")).count(),
        8,
        "{sheet}"
    );
}

#[test]
fn a_misspelled_column_is_named_with_the_one_meant_and_the_header_row_found() {
    let dir = Workdir::new();
    // An optional column misspelled: read as a note, and said so (18 values would collide).
    dir.write(
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombos\nPiAAAAAAAAA,DE_X,F\nPiBBBBBBBBB,DE_X,M\n",
    );
    let out = pi2de()
        .current_dir(dir.path())
        .args(["mapping", "check", "m.csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("m.csv!C1")
            && stdout.contains("`categoryOptionCombos` is not a mapping column")
            && stdout.contains("did you mean `categoryOptionCombo`"),
        "{stdout}"
    );
    // A required column misspelled under title rows: the error is at the row that looks like
    // the header, naming what was meant.
    dir.write(
        "t.csv",
        "EPI mapping\n\n\nprogramIndicatr,dataElement\nPiAAAAAAAAA,DE_X\n",
    );
    let out = pi2de()
        .current_dir(dir.path())
        .args(["mapping", "check", "t.csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("t.csv!A4")
            && stdout.contains("row 4 looks like the header")
            && stdout.contains("`programIndicatr` may be meant as `programIndicator`"),
        "{stdout}"
    );
}

/// `csv` with its unquoted commas replaced by `separator`, as European Excel saves a CSV.
fn resaved_with(csv: &str, separator: char) -> String {
    let mut quoted = false;
    csv.chars()
        .map(|c| match c {
            '"' => {
                quoted = !quoted;
                c
            }
            ',' if !quoted => separator,
            c => c,
        })
        .collect()
}

#[test]
fn a_mapping_saved_with_semicolons_or_tabs_reads_as_the_comma_one_in_every_command() {
    let dir = Workdir::new();
    let csv = fs::read_to_string(repo("mappings/immunisation.csv")).unwrap();
    dir.write("comma.csv", &csv);
    // European Excel's CSV: `;`-separated, Windows line ends, a BOM.
    let semicolon = format!("\u{feff}{}", resaved_with(&csv, ';').replace('\n', "\r\n"));
    dir.write("semicolon.csv", &semicolon);
    dir.write("tab.csv", &resaved_with(&csv, '\t'));
    fs::copy(repo("samples/immunisation.csv"), dir.file("in.csv")).unwrap();
    let outputs = |mapping: &str| {
        let out = format!("out-{mapping}.json");
        let (code, stderr) = dir.run(&["convert", "in.csv", "-m", mapping, "-o", &out]);
        assert_eq!(code, 1, "{mapping}: {stderr}");
        let request = pi2de()
            .current_dir(dir.path())
            .args([
                "request",
                "--mapping",
                mapping,
                "--periods",
                "2024-01:2024-03",
            ])
            .output()
            .unwrap();
        let (check, check_err) = dir.run(&["mapping", "check", mapping]);
        assert_eq!(check, 0, "{check_err}");
        (
            fs::read_to_string(dir.file(&out)).unwrap(),
            String::from_utf8_lossy(&request.stdout).replace(mapping, "M"),
            stderr,
            check_err,
        )
    };
    let (comma, comma_request, comma_err, _) = outputs("comma.csv");
    assert!(!comma_err.contains("note:"), "{comma_err}");
    for (mapping, said) in [("semicolon.csv", "`;`"), ("tab.csv", "tabs")] {
        let (out, request, stderr, check_err) = outputs(mapping);
        assert_eq!(out, comma, "{mapping}");
        assert_eq!(request, comma_request, "{mapping}");
        for e in [&stderr, &check_err] {
            assert!(
                e.contains(&format!("{mapping}: read as CSV separated by {said}")),
                "{e}"
            );
        }
    }
}

#[test]
fn mapping_check_groups_a_finding_repeated_over_rows_and_names_the_closest_id() {
    let dir = Workdir::new();
    dir.write("agg.json", &super::target::entry_metadata("2.42.1"));
    dir.write(
        "m.csv",
        "programIndicator,dataElement\n\
         PiAAAAAAAA1,De000000EXPP\nPiAAAAAAAA2,De000000EXPP\nPiAAAAAAAA3,De000000EXPP\nPiAAAAAAAA4,NOTHING_LIKE_IT\nPiAAAAAAAA5,De000000EXPP\n",
    );
    let out = pi2de()
        .current_dir(dir.path())
        .args([
            "mapping",
            "check",
            "m.csv",
            "--target-metadata",
            "agg.json",
            "--target-scheme",
            "uid",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // One line for the four rows, with their cells in runs; the closest code offered.
    assert!(
        stdout.contains("m.csv!B2–B4, m.csv!B6 (4 findings):"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("`De000000EXPP` does not exist").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("(the closest there: `De000000EXP`)"),
        "{stdout}"
    );
    // Nothing near: nothing offered.
    let far = stdout
        .lines()
        .find(|l| l.contains("NOTHING_LIKE_IT"))
        .expect("its finding");
    assert!(!far.contains("closest"), "{far}");
    assert!(stdout.contains("errors (5):"), "{stdout}");
}
