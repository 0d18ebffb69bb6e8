//! Input forms: compression, BOMs, line ends, standard input, old headers, payload defaults.

use super::*;

#[test]
fn gzip_zip_bom_crlf_and_stdin_inputs() {
    let dir = Workdir::new();
    let mapping = repo("mappings/immunisation.csv");
    let reference = dir.file("ref.json");
    dir.convert(&[s(&repo(SAMPLES[2])), "-m", s(&mapping), "-o", s(&reference)]);
    let csv = fs::read_to_string(repo(SAMPLES[2])).unwrap();

    let gz = dir.file("export.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(csv.as_bytes()).unwrap();
    enc.finish().unwrap();

    let zip_path = dir.file("export.zip");
    let mut zw = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    zw.start_file("data.csv", zip::write::SimpleFileOptions::default())
        .unwrap();
    zw.write_all(csv.as_bytes()).unwrap();
    zw.finish().unwrap();

    let bom = dir.file("bom.csv");
    fs::write(&bom, format!("\u{feff}{}", csv.replace('\n', "\r\n"))).unwrap();

    for input in [&gz, &zip_path, &bom] {
        let out = dir.file("out.json");
        let (_, summary, stderr) = dir.convert(&[s(input), "-m", s(&mapping), "-o", s(&out)]);
        assert_eq!(
            summary["counts"]["read"],
            109,
            "{}: {stderr}",
            input.display()
        );
        assert_eq!(
            fs::read(&out).unwrap(),
            fs::read(&reference).unwrap(),
            "{}",
            input.display()
        );
    }
    let out = dir.file("stdin.json");
    pi2de()
        .args(["convert", "-", "-m", s(&mapping), "-o", s(&out)])
        .write_stdin(csv)
        .assert()
        .code(1);
    assert_eq!(
        fs::read(&out).unwrap(),
        fs::read(&reference).unwrap(),
        "stdin"
    );
}

#[test]
fn zip_with_two_entries_is_refused() {
    let dir = Workdir::new();
    let zip_path = dir.file("two.zip");
    let mut zw = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    for name in ["a.json", "b.json"] {
        zw.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.write_all(b"{\"dataValues\":[]}").unwrap();
    }
    zw.finish().unwrap();
    pi2de()
        .args(["convert", s(&zip_path), "-o", s(&dir.file("o.json"))])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("two.zip").and(predicate::str::contains("exactly one")));
}

#[test]
fn headerless_and_old_header_csv() {
    let dir = Workdir::new();
    let plain = write(
        &dir,
        "noheader.csv",
        "DE_A,202401,OU_A,COC_A,,12.0,,,,false\nDE_B,202401,OU_A,,AOC_B,3,,,,false\n",
    );
    let old = write(
        &dir,
        "old.csv",
        "VALUE,OrgUnit,Period,DataElement,CatOptCombo,AttrOptCombo,strby\n12.0,OU_A,202401,DE_A,COC_A,,x\n3,OU_A,202401,DE_B,,AOC_B,y\n",
    );
    let expected = vec![
        "DE_A 202401 OU_A COC_A  = 12",
        "DE_B 202401 OU_A  AOC_B = 3",
    ];
    for input in [plain, old] {
        let out = dir.file("out.json");
        let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(keyed(&json_values(&out)), expected, "{}", input.display());
    }
    let missing = write(
        &dir,
        "missing.csv",
        "dataelement,period,value\nDE_A,202401,1\n",
    );
    pi2de()
        .args(["convert", s(&missing), "-o", s(&dir.file("o.json"))])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("missing.csv: line 1")
                .and(predicate::str::contains("orgunit")),
        );
}

#[test]
fn json_payload_keys_after_data_values_are_applied() {
    let dir = Workdir::new();
    let input = write(
        &dir,
        "late.json",
        r#"{"dataValues":[
        {"dataElement":"DE_A","value":"1"},
        {"dataElement":"DE_B","value":"2","period":"202402"}],
      "period":"202401","orgUnit":"OU_A","attributeOptionCombo":"AOC_X"}"#,
    );
    let out = dir.file("out.json");
    let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["DE_A 202401 OU_A  AOC_X = 1", "DE_B 202402 OU_A  AOC_X = 2"]
    );
}

#[test]
fn several_inputs_are_one_input_and_format_is_sniffed() {
    let dir = Workdir::new();
    let q1 = write(
        &dir,
        "q1.json",
        r#"{"dataValues":[{"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"1"}]}"#,
    );
    let q2 = write(
        &dir,
        "q2.export",
        "<dataValueSet xmlns=\"http://dhis2.org/schema/dxf/2.0\"><dataValue dataElement=\"DE_A\" period=\"202404\" orgUnit=\"OU_A\" value=\"2\"/></dataValueSet>",
    );
    let q3 = write(
        &dir,
        "q3.txt",
        "dataelement,period,orgunit,value\nDE_A,202407,OU_A,3\n",
    );
    let out = dir.file("out.json");
    // --from overrides detection: the XML read as CSV is refused for what its first row is.
    let (code, _, stderr) = dir.convert(&[s(&q2), "--from", "csv", "-o", s(&out)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("q2.export: line 1: the first row is neither a header"),
        "{stderr}"
    );
    let (code, summary, stderr) = dir.convert(&[s(&q1), s(&q2), s(&q3), "-o", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["inputs"].as_array().unwrap().len(), 3);
    assert_eq!(summary["inputs"][1]["format"], "xml");
    assert_eq!(summary["inputs"][2]["format"], "csv");
    assert_eq!(summary["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(json_values(&out).len(), 3);
}
