//! Output safety, id schemes, usage errors.

use super::*;

#[test]
fn output_safety_dry_run_stdout_and_gzip() {
    let dir = Workdir::new();
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[{"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"1.0"}]}"#,
    );
    let original = fs::read_to_string(&input).unwrap();
    // The output may not be the input.
    pi2de()
        .args(["convert", s(&input), "-o", s(&input)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("overwrite the input"));
    // A folder is never replaced; a missing folder is named.
    let folder = dir.file("folder.json");
    fs::create_dir(&folder).unwrap();
    pi2de()
        .args(["convert", s(&input), "-o", s(&folder)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "folder.json: is a folder; -o names the output file",
        ));
    pi2de()
        .args(["convert", s(&input), "-o", s(&dir.file("nope/out.json"))])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
    // The summary may not replace an input either, nor share stdout with the output.
    pi2de()
        .args([
            "convert",
            s(&input),
            "-o",
            s(&dir.file("x.json")),
            "--summary",
            s(&input),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--summary"));
    pi2de()
        .args(["convert", s(&input), "-o", "-", "--summary", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard output"));
    assert_eq!(
        fs::read_to_string(&input).unwrap(),
        original,
        "the input is untouched"
    );
    // A device is never replaced either.
    #[cfg(unix)]
    pi2de()
        .args(["convert", s(&input), "-o", "/dev/null", "--to", "json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/dev/null: exists and is not a regular file",
        ));
    // Dry run: summary, no output.
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[s(&input), "-o", s(&out), "--dry-run"]);
    assert_eq!(code, 0);
    assert!(!out.exists());
    assert!(summary["output"].is_null() && summary["dryRun"] == true);
    assert!(stderr.contains("dry run"));
    // Standard output.
    let assert = pi2de()
        .args(["convert", s(&input), "-o", "-", "--to", "csv"])
        .assert()
        .code(0);
    assert_eq!(
        String::from_utf8_lossy(&assert.get_output().stdout),
        "dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value,storedBy,lastUpdated,comment,followUp,deleted\nDE_A,202401,OU_A,,,1,,,,false,false\n"
    );
    // Gzip.
    let gz = dir.file("out.xml.gz");
    let (_, summary, _) = dir.convert(&[s(&input), "-o", s(&gz)]);
    let mut text = String::new();
    flate2::read::GzDecoder::new(fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains(
        "<dataValue dataElement=\"DE_A\" period=\"202401\" orgUnit=\"OU_A\" value=\"1\"/>"
    ));
    assert_eq!(summary["output"]["format"], "xml");
    assert_eq!(summary["output"]["gzip"], true);
    assert_only(
        &dir,
        &["in.json", "folder.json", "out.xml.gz", "summary.json"],
    );
}

#[test]
fn schemes_follow_the_options() {
    let dir = Workdir::new();
    let mapping = write(
        &dir,
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombo\nPiAAAAAAAAA,DeUidAAAAAA,CocUidAAAAA\n",
    );
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[{"dataElement":"PiAAAAAAAAA","period":"202401","orgUnit":"OU_CODE","value":"1"}]}"#,
    );
    let out = dir.file("out.json");
    dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--target-scheme",
        "uid",
        "--org-unit-scheme",
        "code",
    ]);
    let doc: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["dataElementIdScheme"], "UID");
    assert_eq!(doc["categoryOptionComboIdScheme"], "UID");
    assert_eq!(doc["attributeOptionComboIdScheme"], "UID");
    assert_eq!(doc["orgUnitIdScheme"], "CODE");
    let csv = dir.file("out.csv");
    let (_, summary, stderr) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&csv)]);
    assert!(stderr.contains("idScheme=CODE&dataElementIdScheme=CODE&categoryOptionComboIdScheme=CODE&attributeOptionComboIdScheme=CODE&orgUnitIdScheme=CODE"), "{stderr}");
    assert!(stderr.contains("CSV carries no id schemes"), "{stderr}");
    assert!(
        summary["output"]["import"][0]
            .as_str()
            .unwrap()
            .contains("ID scheme Code")
    );
}

#[test]
fn usage_errors_exit_2() {
    let sample = repo(SAMPLES[0]);
    pi2de()
        .args([
            "convert",
            s(&sample),
            "-o",
            "o.json",
            "--report",
            "audit.csv",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--report audit.csv")
                .and(predicate::str::contains("FILE.xlsx")),
        );
    pi2de()
        .args(["mapping", "from-metadata", s(&sample), "-o", "m.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("m.csv").and(predicate::str::contains(".xlsx")));
    pi2de()
        .args(["convert", "x.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output <FILE>"));
    pi2de()
        .args(["convert", "x.json", "-o", "out.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--to"));
    pi2de()
        .args([
            "convert",
            "x.json",
            "-o",
            "o.json",
            "--on-duplicate",
            "maybe",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("invalid value 'maybe'")
                .and(predicate::str::contains("reject, first, last, sum, fail")),
        );
    pi2de()
        .args(["convert", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--on-duplicate"));
}

#[test]
fn a_gzip_output_compressed_on_every_core_is_one_member_holding_the_plain_output() {
    // Enough values for several blocks of compression (the output is some megabytes).
    let dir = Workdir::new();
    let mut csv = String::from("dataelement,period,orgunit,value\n");
    for i in 0..40_000 {
        csv.push_str(&format!(
            "DE_{},2024{:02},OU_{},{}\n",
            i % 97,
            i % 12 + 1,
            i / 97,
            i
        ));
    }
    dir.write("in.csv", &csv);
    for out in ["plain.json", "packed.json.gz"] {
        let (code, stderr) = dir.run(&["convert", "in.csv", "-o", out, "-q"]);
        assert_eq!(code, 0, "{stderr}");
    }
    let plain = fs::read(dir.file("plain.json")).unwrap();
    let packed = fs::read(dir.file("packed.json.gz")).unwrap();
    assert!(plain.len() > 2_000_000, "{} bytes", plain.len());
    // A decoder that stops after the first member (as older JDKs may) reads it all, and
    // nothing follows that member.
    let mut decoder = flate2::bufread::GzDecoder::new(&packed[..]);
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut decoder, &mut back).unwrap();
    assert_eq!(back, plain);
    assert!(
        decoder.into_inner().is_empty(),
        "a second gzip member follows"
    );
}
