//! `pi2de compare`: a transfer against the HMIS's own export, key by key.

use super::*;

/// A transfer made by convert: three values and one deletion.
fn transfer(dir: &Workdir) -> PathBuf {
    let input = dir.write(
        "export.csv",
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted\n\
         DE_A,202401,OU_1,,,5.0,,,,,\n\
         DE_A,202401,OU_2,,,7,,,,,\n\
         DE_A,202401,OU_3,,,1,,,,,\n\
         DE_B,202401,OU_1,,,,,,,,true\n",
    );
    let out = dir.file("hmis.json");
    let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    out
}

/// The HMIS's export as DHIS2 writes it: `default` combos (or the default UID), `comment: null`,
/// `deleted: false`, audit fields.
fn current(dir: &Workdir) -> PathBuf {
    let v = |de: &str, pe: &str, ou: &str, coc: &str, value: &str, deleted: bool| {
        format!(
            r#"{{"dataElement":"{de}","period":"{pe}","orgUnit":"{ou}","categoryOptionCombo":"{coc}","attributeOptionCombo":"default","value":"{value}","storedBy":"admin","created":"2024-02-03T10:00:00.000+0000","lastUpdated":"2024-02-03T10:00:00.000+0000","comment":null,"followup":false,"deleted":{deleted}}}"#
        )
    };
    let values = [
        v("DE_A", "202401", "OU_1", "default", "5", false), // unchanged (5.0 = 5)
        v("DE_A", "202401", "OU_2", "HllvX50cXC0", "6", false), // changed
        v("DE_B", "202401", "OU_1", "default", "4", false), // deleted by the transfer
        v("DE_B", "202401", "OU_2", "default", "9", false), // only in the HMIS
        v("DE_Z", "202401", "OU_1", "default", "3", false), // another data element: out of scope
        v("DE_A", "202312", "OU_1", "default", "2", false), // another period: out of scope
        v("DE_A", "202401", "OU_3", "default", "8", true),  // deleted in the HMIS: absent
    ];
    dir.write(
        "current.json",
        &format!("{{\"dataValues\":[{}]}}", values.join(",\n")),
    )
}

#[test]
fn every_key_is_classified_in_five_classes() {
    let dir = Workdir::new();
    let transfer = transfer(&dir);
    let current = current(&dir);
    let summary = dir.file("compare.json");
    let changes = dir.file("changes.csv");
    let report = dir.file("compare.xlsx");
    let out = pi2de()
        .args(["compare", s(&transfer), "--with", s(&current)])
        .args([
            "--summary",
            s(&summary),
            "-o",
            s(&changes),
            "--report",
            s(&report),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "changes found: {stdout}");
    let v: Value = serde_json::from_str(&fs::read_to_string(&summary).unwrap()).unwrap();
    let counts = &v["counts"];
    let got: Vec<u64> = [
        "new",
        "changed",
        "unchanged",
        "deleted",
        "onlyInHmis",
        "outOfScope",
    ]
    .iter()
    .map(|k| counts[k].as_u64().unwrap())
    .collect();
    assert_eq!(got, [1, 1, 1, 1, 1, 2]);
    let classes: Vec<String> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {:?} {:?}",
                c["class"].as_str().unwrap(),
                c["key"]["dataElement"].as_str().unwrap(),
                c["key"]["orgUnit"].as_str().unwrap(),
                c["transfer"].as_str(),
                c["hmis"].as_str()
            )
        })
        .collect();
    assert_eq!(
        classes,
        [
            "new DE_A OU_3 Some(\"1\") None",
            "changed DE_A OU_2 Some(\"7\") Some(\"6\")",
            "deleted DE_B OU_1 None Some(\"4\")",
            "onlyInHmis DE_B OU_2 None Some(\"9\")",
        ]
    );
    let csv = fs::read_to_string(&changes).unwrap();
    assert!(
        csv.starts_with("\u{feff}class,dataElement,period,orgUnit"),
        "{csv}"
    );
    assert!(csv.contains("changed,DE_A,202401,OU_2,,,7,6"), "{csv}");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&report).unwrap();
    use calamine::Reader;
    let totals = wb.worksheet_range("Totals").unwrap();
    let row: Vec<String> = totals
        .rows()
        .find(|r| r[0] == "DE_A" && r[1] == "202401")
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        row[2..4],
        ["13".to_string(), "11".to_string()],
        "transfer 5+7+1, HMIS 5+6"
    );
}

#[test]
fn a_transfer_that_changes_nothing_exits_0_and_bad_files_exit_2() {
    let dir = Workdir::new();
    let transfer = dir.write(
        "t.json",
        r#"{"dataValues":[{"dataElement":"DE_A","period":"202401","orgUnit":"OU_1","value":"5"}]}"#,
    );
    let same = dir.write(
        "c.json",
        r#"{"dataValues":[{"dataElement":"DE_A","period":"202401","orgUnit":"OU_1","categoryOptionCombo":"default","attributeOptionCombo":"default","value":"5.0","comment":null,"deleted":false}]}"#,
    );
    pi2de()
        .args(["compare", s(&transfer), "--with", s(&same)])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 new, 0 changed, 1 unchanged"));
    pi2de()
        .args([
            "compare",
            s(&transfer),
            "--with",
            s(&dir.file("missing.json")),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
    pi2de()
        .args(["compare", s(&transfer), "--with", s(&same), "-o", s(&same)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "c.json: -o names the file read as --with",
        ));
}
