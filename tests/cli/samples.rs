//! The bundled samples, and what each output format looks like.

use super::*;

#[test]
fn samples_convert_identically_from_json_xml_and_csv() {
    let dir = Workdir::new();
    let mapping = repo("mappings/immunisation.xlsx");
    let mut outputs = Vec::new();
    for (i, sample) in SAMPLES.iter().enumerate() {
        let out = dir.path().join(format!("out{i}.json"));
        let (code, summary, stderr) =
            dir.convert(&[s(&repo(sample)), "-m", s(&mapping), "-o", s(&out)]);
        assert_eq!(code, 1, "the unmapped PI makes exit 1: {stderr}");
        assert_eq!(summary["counts"]["read"], 109);
        assert_eq!(summary["counts"]["written"], 99);
        assert_eq!(left(&summary, "unmapped"), 9);
        assert_eq!(left(&summary, "duplicateMerged"), 1);
        assert_eq!(summary["unmapped"][0]["dataElement"], "aEfiCases1l");
        assert_eq!(summary["unmapped"][0]["count"], 9);
        assert!(stderr.contains("unmapped"), "{stderr}");
        assert!(
            !stderr.contains(['\r', '\u{1b}']),
            "no progress bar when stderr is not a terminal"
        );
        outputs.push(fs::read(&out).unwrap());
    }
    assert_eq!(
        outputs[0], outputs[1],
        "XML input gives the same output as JSON"
    );
    assert_eq!(
        outputs[0], outputs[2],
        "CSV input gives the same output as JSON"
    );
}

#[test]
fn csv_mapping_gives_the_same_output_as_the_workbook() {
    let dir = Workdir::new();
    let a = dir.file("a.json");
    let b = dir.file("b.json");
    let (code_a, summary_a, _) = dir.convert(&[
        s(&repo(SAMPLES[0])),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        s(&a),
    ]);
    let (code_b, summary_b, _) = dir.convert(&[
        s(&repo(SAMPLES[0])),
        "-m",
        s(&repo("mappings/immunisation.csv")),
        "-o",
        s(&b),
    ]);
    assert_eq!((code_a, code_b), (1, 1), "the sample leaves 10 values out");
    assert_eq!(summary_a["counts"], summary_b["counts"]);
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
}

#[test]
fn json_output_is_import_ready() {
    let dir = Workdir::new();
    let out = dir.file("hmis.json");
    dir.convert(&[
        s(&repo(SAMPLES[0])),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        s(&out),
        "--comment",
        "EPI transfer",
    ]);
    let doc: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["dataElementIdScheme"], "CODE");
    assert_eq!(doc["categoryOptionComboIdScheme"], "CODE");
    assert_eq!(doc["attributeOptionComboIdScheme"], "CODE");
    assert_eq!(doc["orgUnitIdScheme"], "UID");
    let values = doc["dataValues"].as_array().unwrap();
    assert_eq!(values.len(), 99);
    let allowed = [
        "dataElement",
        "period",
        "orgUnit",
        "categoryOptionCombo",
        "attributeOptionCombo",
        "value",
        "comment",
    ];
    for v in values {
        let obj = v.as_object().unwrap();
        for (k, val) in obj {
            assert!(allowed.contains(&k.as_str()), "unexpected key {k}");
            assert!(val.is_string(), "{k} must be a string: {val}");
        }
        for k in ["dataElement", "period", "orgUnit", "value"] {
            assert!(obj.contains_key(k), "missing {k}");
        }
        assert!(
            !v["value"].as_str().unwrap().ends_with(".0"),
            "canonical value: {v}"
        );
        assert_eq!(v["comment"], "EPI transfer");
        let de = v["dataElement"].as_str().unwrap();
        assert_eq!(
            obj.contains_key("categoryOptionCombo"),
            de == "IMM_PENTA1",
            "COC only when not default: {v}"
        );
        assert!(!obj.contains_key("attributeOptionCombo"));
    }
    let bcg = values
        .iter()
        .find(|v| {
            v["dataElement"] == "IMM_BCG"
                && v["period"] == "202401"
                && v["orgUnit"] == "DiszpKrYNg8"
        })
        .unwrap();
    assert_eq!(bcg["value"], "36", "36.0 in the export");
    let penta_f = values
        .iter()
        .find(|v| v["categoryOptionCombo"] == "SEX_FEMALE")
        .unwrap();
    assert_eq!(penta_f["dataElement"], "IMM_PENTA1");
}

#[test]
fn xml_output_is_import_ready_and_reads_back() {
    let dir = Workdir::new();
    let xml = dir.file("hmis.xml");
    dir.convert(&[
        s(&repo(SAMPLES[0])),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        s(&xml),
        "--comment",
        "a<b & \"c\"",
    ]);
    let text = fs::read_to_string(&xml).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dataValueSet xmlns=\"http://dhis2.org/schema/dxf/2.0\" dataElementIdScheme=\"CODE\" categoryOptionComboIdScheme=\"CODE\" attributeOptionComboIdScheme=\"CODE\" orgUnitIdScheme=\"UID\">\n"), "{}", &text[..300]);
    assert!(text.ends_with("</dataValueSet>\n"));
    assert_eq!(text.matches("<dataValue ").count(), 99);
    assert!(text.contains("comment=\"a&lt;b &amp; &quot;c&quot;\""));
    for banned in [
        "followup",
        "followUp",
        "created",
        "lastUpdated",
        "storedBy",
        "completeDate",
    ] {
        assert!(!text.contains(banned), "{banned} must not be written");
    }
    // The XML reads back into the same values as the JSON output.
    let json = dir.file("hmis.json");
    let back = dir.file("back.json");
    dir.convert(&[
        s(&repo(SAMPLES[0])),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        s(&json),
        "--comment",
        "a<b & \"c\"",
    ]);
    let (code, _, _) = dir.convert(&[s(&xml), "-o", s(&back)]);
    assert_eq!(code, 0);
    assert_eq!(keyed(&json_values(&json)), keyed(&json_values(&back)));
}

#[test]
fn csv_output_is_import_ready() {
    let dir = Workdir::new();
    let out = dir.file("hmis.csv");
    dir.convert(&[
        s(&repo(SAMPLES[2])),
        "-m",
        s(&repo("mappings/immunisation.csv")),
        "-o",
        s(&out),
        "--comment",
        "Jan, Feb and Mar",
    ]);
    let bytes = fs::read(&out).unwrap();
    assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    assert!(!bytes.contains(&b'\r'), "LF only");
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.strip_suffix('\n').unwrap().split('\n').collect();
    assert_eq!(
        lines[0],
        "dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value,storedBy,lastUpdated,comment,followUp,deleted"
    );
    assert_eq!(lines.len(), 100);
    assert!(lines.iter().all(|l| !l.is_empty()), "no blank lines");
    assert!(
        lines.contains(&"IMM_BCG,202401,DiszpKrYNg8,,,36,,,\"Jan, Feb and Mar\",false,false"),
        "{}",
        lines[1]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("IMM_PENTA1,202401,DiszpKrYNg8,SEX_FEMALE,,"))
    );
    // The CSV reads back (by its own header) into the same values.
    let back = dir.file("back.json");
    let (code, summary, _) = dir.convert(&[s(&out), "-o", s(&back)]);
    assert_eq!((code, summary["counts"]["written"].as_u64()), (0, Some(99)));
}

#[test]
fn csv_output_refuses_values_it_cannot_carry() {
    let dir = Workdir::new();
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[
        {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"say \"hi\""},
        {"dataElement":"DE_B","period":"202401","orgUnit":"OU_A","value":"5"}]}"#,
    );
    let out = dir.file("out.csv");
    let (code, summary, _) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 1);
    assert_eq!(left(&summary, "invalidValue"), 1);
    assert!(
        summary["leftOutValues"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("quote")
    );
    pi2de()
        .args(["convert", s(&input), "-o", s(&out), "--comment", "a\"b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--comment"));
}

#[test]
fn csv_text_values_keep_their_meaning() {
    let dir = Workdir::new();
    let input = write(
        &dir,
        "in.json",
        r#"{"dataValues":[
        {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":" padded "},
        {"dataElement":"DE_B","period":"202401","orgUnit":"OU_A","value":"null"},
        {"dataElement":"DE_C","period":"202401","orgUnit":"OU_A","value":"0712345678"},
        {"dataElement":"DE_D","period":"202401","orgUnit":"OU_A","value":"a, b"}]}"#,
    );
    let mapping = write(
        &dir,
        "mapping.csv",
        "programIndicator,dataElement,valueType\nDE_A,T_A,TEXT\nDE_B,T_B,TEXT\nDE_C,T_C,PHONE_NUMBER\nDE_D,T_D,TEXT\n",
    );
    let out = dir.file("out.csv");
    let (code, summary, _) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 1);
    // `null` would read as no value in 2.43+: left out, CSV output only.
    assert_eq!(left(&summary, "invalidValue"), 1);
    let detail = summary["leftOutValues"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("`null`") && detail.contains("CSV"),
        "{detail}"
    );
    let text = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "T_A,202401,OU_A,,,\" padded \",,,,false,false",
            "T_C,202401,OU_A,,,0712345678,,,,false,false",
            "T_D,202401,OU_A,,,\"a, b\",,,,false,false",
        ]
    );
    // Read back, the quoted spaces are still there.
    let back = dir.file("back.json");
    dir.convert(&[s(&out), "-o", s(&back)]);
    let values: Vec<String> = json_values(&back)
        .iter()
        .map(|v| v["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(values, [" padded ", "0712345678", "a, b"]);
    // JSON carries `null` as text.
    let json = dir.file("out.json");
    let (code, _, _) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&json)]);
    assert_eq!(code, 0);
    pi2de()
        .args(["convert", s(&input), "-o", s(&out), "--comment", "null"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`null`"));
}

#[test]
fn values_marked_deleted_are_carried_through_as_deletions() {
    let dir = Workdir::new();
    let inputs = [
        (
            "in.json",
            r#"{"dataValues":[
            {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"12.0","deleted":true},
            {"dataElement":"DE_B","period":"202401","orgUnit":"OU_A","value":"3","deleted":false},
            {"dataElement":"DE_C","period":"202401","orgUnit":"OU_A","deleted":"true"}]}"#,
        ),
        (
            "in.xml",
            r#"<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">
            <dataValue dataElement="DE_A" period="202401" orgUnit="OU_A" value="12.0" deleted="true"/>
            <dataValue dataElement="DE_B" period="202401" orgUnit="OU_A" value="3" deleted="false"/>
            <dataValue dataElement="DE_C" period="202401" orgUnit="OU_A" deleted="TRUE"/>
            </dataValueSet>"#,
        ),
        (
            "named.csv",
            "deleted,dataElement,period,orgUnit,value\ntrue,DE_A,202401,OU_A,12.0\nfalse,DE_B,202401,OU_A,3\nTrue,DE_C,202401,OU_A,\n",
        ),
        (
            "positional.csv",
            "DE_A,202401,OU_A,,,12.0,,,,false,true\nDE_B,202401,OU_A,,,3,,,,false,false\nDE_C,202401,OU_A,,,,,,,false,true\n",
        ),
    ];
    for (name, content) in inputs {
        let input = dir.write(name, content);
        let out = dir.file("out.json");
        let (code, summary, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let c = &summary["counts"];
        assert_eq!(
            (c["read"].as_u64(), c["written"].as_u64()),
            (Some(3), Some(3)),
            "{name}"
        );
        assert_eq!(c["deleted"], 2, "{name}");
        let listed: Vec<(String, String)> = summary["deletedValues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["key"]["dataElement"].as_str().unwrap().into(),
                    d["source"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("DE_A".into(), "input".into()),
                ("DE_C".into(), "input".into())
            ],
            "{name}"
        );
        let values = json_values(&out);
        assert_eq!(values[0]["deleted"], true, "{name}");
        assert_eq!(
            values[0]["value"], "12",
            "{name}: a deletion's value is still rewritten"
        );
        assert!(values[1].get("deleted").is_none(), "{name}");
        assert_eq!(values[2]["deleted"], true, "{name}");
        assert!(
            values[2].get("value").is_none(),
            "{name}: no value, none written"
        );
        assert!(stderr.contains("2 deletions"), "{name}: {stderr}");
    }
    // A deletion and a value for the same key are a conflict, like two different values.
    let both = write(
        &dir,
        "both.json",
        r#"{"dataValues":[
        {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"5","deleted":true},
        {"dataElement":"DE_A","period":"202401","orgUnit":"OU_A","value":"5"}]}"#,
    );
    let out = dir.file("both.json.out.json");
    let (code, summary, _) = dir.convert(&[s(&both), "-o", s(&out)]);
    assert_eq!(code, 2, "nothing is left to write");
    assert!(!out.exists());
    assert_eq!(left(&summary, "duplicateRejected"), 2);
    assert_eq!(
        summary["duplicates"][0]["values"],
        serde_json::json!(["5 (deleted)", "5"])
    );
}
