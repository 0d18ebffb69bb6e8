//! Hostile input: the broken-input corpus, deep nesting, bombs, huge mappings.

use super::*;

/// Converts `input` (optionally with a mapping) in a fresh folder and expects exit 2, a message
/// holding every one of `expect`, and no file written.
pub(crate) fn assert_refused(input: &Path, mapping: Option<&Path>, expect: &[&str]) {
    let dir = Workdir::new();
    let mut cmd = pi2de();
    cmd.current_dir(dir.path())
        .args(["convert", s(input), "-o", "out.json"]);
    if let Some(m) = mapping {
        cmd.args(["-m", s(m)]);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", input.display());
    assert!(stderr.starts_with("pi2de: error: "), "{stderr}");
    for e in expect {
        assert!(
            stderr.contains(e),
            "{}: expected `{e}` in: {stderr}",
            input.display()
        );
    }
    assert_only(&dir, &[]);
}

#[test]
fn the_broken_input_corpus_is_refused_with_file_and_place() {
    let corpus = repo("tests/corpus");
    let c = |name: &str| corpus.join(name);
    for (file, expect) in [
        (
            "truncated.json",
            &["truncated.json: line 3, column 1", "truncated"][..],
        ),
        (
            "truncated.csv.gz",
            &["truncated.csv.gz: line ", "damaged or cut short"],
        ),
        (
            "invalid-utf8.json",
            &["invalid-utf8.json: line 2, column 55", "not UTF-8"],
        ),
        (
            "windows-1252.csv",
            &["windows-1252.csv: line 2, column 14", "CSV UTF-8"],
        ),
        ("utf16-bom.json", &["utf16-bom.json", "UTF-16"]),
        ("utf16-no-bom.csv", &["utf16-no-bom.csv", "not UTF-8 text"]),
        (
            "data-values-object.json",
            &[
                "data-values-object.json: line 1, column 15",
                "must be an array",
            ],
        ),
        (
            "data-values-strings.json",
            &[
                "data-values-strings.json: line 1, column 16",
                "dataValue objects",
            ],
        ),
        (
            "not-an-object.json",
            &[
                "not-an-object.json: line 1, column 1",
                "dataValueSet object",
            ],
        ),
        (
            "doctype-entities.xml",
            &["doctype-entities.xml: line 9", "unrecognized entity `lol9`"],
        ),
        (
            "missing-columns.csv",
            &["missing-columns.csv: line 1", "no orgunit column"],
        ),
        ("empty.json", &["empty.json", "empty"]),
        ("empty.csv", &["empty.csv", "empty"]),
        ("no-entry.zip", &["no-entry.zip", "holds no export file"]),
        ("two-entries.zip", &["two-entries.zip", "holds 2"]),
        ("double.csv.gz", &["double.csv.gz", "compressed twice"]),
    ] {
        assert_refused(&c(file), None, expect);
    }
    let sample = repo(SAMPLES[0]);
    assert_refused(
        &sample,
        Some(&c("not-a-workbook.xlsx")),
        &["not-a-workbook.xlsx", "is not a workbook"],
    );
    assert_refused(
        &sample,
        Some(&c("encrypted.xlsx")),
        &["encrypted.xlsx", "password-protected"],
    );
}

#[test]
fn deeply_nested_json_never_overflows_the_stack() {
    let dir = Workdir::new();
    let depth = 200_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Where an id is expected: refused, with its place.
    let as_id = write(
        &dir,
        "as-id.json",
        &format!("{{\"dataValues\":[{{\"dataElement\":{deep}}}]}}"),
    );
    assert_refused(
        &as_id,
        None,
        &[
            "as-id.json: line 1, column",
            "expected a string or a number",
        ],
    );
    // Under keys pi2de skips, in a value or at the top: read past without recursion.
    let skipped = write(
        &dir,
        "skipped.json",
        &format!(
            "{{\"x\":{deep},\"dataValues\":[{{\"dataElement\":\"DE_A\",\"period\":\"202401\",\"orgUnit\":\"OU_A\",\"value\":\"1\",\"y\":{deep}}}]}}"
        ),
    );
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[s(&skipped), "-o", s(&out)]);
    assert_eq!(
        (code, summary["counts"]["written"].as_u64()),
        (0, Some(1)),
        "{stderr}"
    );
}

#[test]
fn a_gzip_bomb_is_stopped_and_named() {
    let dir = Workdir::new();
    let bomb = dir.file("bomb.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(&bomb).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(b"{\"dataValues\":[").unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..300 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap();
    assert!(
        fs::metadata(&bomb).unwrap().len() < 2_000_000,
        "a small file"
    );
    assert_refused(&bomb, None, &["bomb.json.gz", "decompression bomb"]);
}

#[test]
fn workbooks_without_a_header_row_and_huge_mappings() {
    let dir = Workdir::new();
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "just some notes").unwrap();
    sheet.write_string(1, 0, "PiAAAAAAAAA").unwrap();
    let no_header = dir.file("no-header.xlsx");
    wb.save(&no_header).unwrap();
    pi2de()
        .args(["mapping", "check", s(&no_header)])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("Sheet1!A1").and(predicate::str::contains("no header row")),
        );
    assert_refused(
        &repo(SAMPLES[0]),
        Some(&no_header),
        &["no-header.xlsx", "Sheet1!A1"],
    );
    // 100,000 mapping rows work (and the one that matters is found).
    let mut big = String::from("programIndicator,dataElement\n");
    for i in 0..100_000 {
        big.push_str(&format!("Pi{i:09},DE_{i}\n"));
    }
    let mapping = dir.write("big.csv", &big);
    let input = write(
        &dir,
        "in.csv",
        "dataelement,period,orgunit,value\nPi000099999,202401,OU_A,1\n",
    );
    let out = dir.file("out.json");
    let (code, _, stderr) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        keyed(&json_values(&out)),
        vec!["DE_99999 202401 OU_A   = 1"]
    );
}
