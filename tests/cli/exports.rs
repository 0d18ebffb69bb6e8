//! Exports as they reach pi2de after Excel, LibreOffice, macOS and a hurried user: line ends,
//! padded ids, empty files, the wrong file. Nothing is lost silently: every case reads the
//! same values as the clean file, or stops with exit 2, a message naming the mistake, and
//! nothing written.

use super::*;

/// Runs convert on `inputs` with the sample mapping; returns the exit code, summary, stderr.
fn convert_with_sample_mapping(dir: &Workdir, inputs: &[&Path]) -> (i32, Value, String) {
    let mapping = repo("mappings/immunisation.csv");
    let out = dir.file("out.json");
    let mut args: Vec<&str> = inputs.iter().map(|p| s(p)).collect();
    args.extend(["-m", s(&mapping), "-o", s(&out)]);
    dir.convert(&args)
}

/// Expects exit 2 with every one of `expect` in stderr and no file left in `dir`.
fn refused(dir: &Workdir, inputs: &[&Path], expect: &[&str]) {
    let (code, summary, stderr) = convert_with_sample_mapping(dir, inputs);
    assert_eq!(code, 2, "{stderr}");
    assert!(summary.is_null(), "no summary either");
    for e in expect {
        assert!(stderr.contains(e), "expected `{e}` in: {stderr}");
    }
    let left: Vec<String> = dir
        .files()
        .into_iter()
        .filter(|f| f.starts_with("out") || f.starts_with(".pi2de"))
        .collect();
    assert!(left.is_empty(), "written: {left:?}");
}

fn sample(name: &str) -> String {
    fs::read_to_string(repo(&format!("samples/{name}"))).expect("sample")
}

#[test]
fn csv_from_excel_for_mac_with_cr_line_ends_reads_every_value() {
    let dir = Workdir::new();
    let cr = dir.write("mac.csv", &sample("immunisation.csv").replace('\n', "\r"));
    let (code, summary, stderr) = convert_with_sample_mapping(&dir, &[&cr]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(summary["counts"]["read"], 109);
    assert_eq!(summary["counts"]["written"], 99);
}

#[test]
fn an_export_without_values_is_never_a_silent_success() {
    let dir = Workdir::new();
    let header = sample("immunisation.csv")
        .lines()
        .next()
        .expect("header")
        .to_string();
    let header_only = dir.write("header.csv", &(header + "\n"));
    let no_values = dir.write("none.json", r#"{"dataValues": []}"#);
    for input in [&header_only, &no_values] {
        refused(&dir, &[input], &["no data values", "nothing was written"]);
    }
    // Beside an export with values, an empty one is a warning and exit 1.
    let full = repo("samples/immunisation.json");
    let (code, summary, stderr) = convert_with_sample_mapping(&dir, &[&full, &header_only]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("header.csv: holds no data values"),
        "{stderr}"
    );
    let warnings = summary["warnings"].to_string();
    assert!(
        warnings.contains("header.csv: holds no data values"),
        "{warnings}"
    );
}

#[test]
fn ids_with_white_space_are_trimmed_in_every_format_and_counted() {
    let dir = Workdir::new();
    let json = dir.write(
        "pad.json",
        r#"{"dataValues":[
          {"dataElement":"bCgDoses01a ","period":"202401","orgUnit":" DiszpKrYNg8","value":"3"},
          {"dataElement":"oPv1Doses1b","period":"202401","orgUnit":"DiszpKrYNg8","value":"4"}]}"#,
    );
    let xml = dir.write(
        "pad.xml",
        r#"<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">
          <dataValue dataElement="bCgDoses01a " period="202401" orgUnit=" DiszpKrYNg8" value="3"/>
          <dataValue dataElement="oPv1Doses1b" period="202401" orgUnit="DiszpKrYNg8" value="4"/>
        </dataValueSet>"#,
    );
    let csv = dir.write(
        "pad.csv",
        "dataelement,period,orgunit,value\n\"bCgDoses01a \",202401,\" DiszpKrYNg8\",3\noPv1Doses1b,202401,DiszpKrYNg8,4\n",
    );
    for input in [json, xml, csv] {
        let (code, summary, stderr) = convert_with_sample_mapping(&dir, &[&input]);
        assert_eq!(code, 0, "{}: {stderr}", input.display());
        assert_eq!(
            keyed(&json_values(&dir.file("out.json"))),
            [
                "IMM_BCG 202401 DiszpKrYNg8   = 3",
                "IMM_OPV1 202401 DiszpKrYNg8   = 4"
            ],
            "{}",
            input.display()
        );
        let warnings = summary["warnings"].to_string();
        assert!(
            warnings.contains("1 value had ids with white space around them, trimmed"),
            "{}: {warnings}",
            input.display()
        );
    }
}

#[test]
fn csv_that_is_not_a_data_value_set_is_refused_with_what_was_found() {
    let dir = Workdir::new();
    let tabs = dir.write("tabs.csv", &sample("immunisation.csv").replace(',', "\t"));
    refused(&dir, &[&tabs], &["tabs.csv: line 1", "separated by tabs"]);
    let foo = dir.write("foo.csv", "foo,bar\n1,2\n");
    refused(
        &dir,
        &[&foo],
        &[
            "foo.csv: line 1",
            "found `foo`, `bar`",
            "dataelement, period, orgunit",
        ],
    );
    // The analytics table download (Data Visualizer → Download → CSV) with names.
    let grid = dir.write(
        "grid.csv",
        "Data,Period,Organisation unit,Value\nBCG doses given,January 2024,Ngelehun CHC,12\n",
    );
    refused(
        &dir,
        &[&grid],
        &[
            "grid.csv: line 2",
            "analytics table download",
            "/api/analytics/dataValueSet.csv",
        ],
    );
    // The same table with ids converts.
    let ids = dir.write(
        "grid-ids.csv",
        "Data,Period,Organisation unit,Value\nbCgDoses01a,202401,DiszpKrYNg8,12\n",
    );
    let (code, summary, stderr) = convert_with_sample_mapping(&dir, &[&ids]);
    assert_eq!(
        (code, summary["counts"]["written"].as_u64()),
        (0, Some(1)),
        "{stderr}"
    );
}

#[test]
fn a_workbook_given_as_the_export_is_named_as_such() {
    let dir = Workdir::new();
    refused(
        &dir,
        &[&repo("mappings/immunisation.xlsx")],
        &[
            "immunisation.xlsx: is an Excel workbook, not an export",
            "-m",
        ],
    );
    refused(
        &dir,
        &[&repo("tests/workbooks/trailing-space.ods")],
        &["is an OpenDocument (LibreOffice) file, not an export"],
    );
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.extend([0u8; 504]);
    let old = dir.file("old.xls");
    fs::write(&old, xls).expect("write");
    refused(&dir, &[&old], &["old.xls: is an old Excel .xls workbook"]);
}

/// A zip of `entries` (name, content), as Finder's "Compress" makes it.
fn zip_of(dir: &Workdir, name: &str, entries: &[(&str, &str)]) -> PathBuf {
    let path = dir.file(name);
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).expect("create"));
    for (entry, content) in entries {
        zip.start_file(*entry, zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(content.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
    path
}

#[test]
fn a_macos_zip_reads_its_one_export_and_a_zip_of_several_names_them() {
    let dir = Workdir::new();
    let json = sample("immunisation.json");
    let mac = zip_of(
        &dir,
        "export.zip",
        &[
            ("export.json", &json),
            ("__MACOSX/._export.json", "\0\u{5}\u{16}\u{7}Mac OS X"),
            (".DS_Store", "\0\0\0\u{1}Bud1"),
        ],
    );
    let (code, summary, stderr) = convert_with_sample_mapping(&dir, &[&mac]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(summary["counts"]["read"], 109);
    let dir = Workdir::new();
    let two = zip_of(
        &dir,
        "two.zip",
        &[
            ("q1.json", &json),
            ("q2.json", &json),
            ("__MACOSX/._q1.json", "x"),
        ],
    );
    refused(
        &dir,
        &[&two],
        &["two.zip: a zip must hold exactly one export file, this one holds 2: q1.json, q2.json"],
    );
}
