//! Classes of hostile and everyday-odd input, each tested with generated cases: data-set
//! file names that collide, CSV records and headers that do not line up, JSON numbers, text
//! XML cannot carry, ids that cannot be their scheme, runs that would write nothing.

use super::*;

/// Data set ids whose file names collide: the same letters with characters that all become
/// `_`, with other case, with a part number, or a name pi2de itself uses.
fn colliding_data_sets(g: &mut Gen) -> Vec<String> {
    let stems = ["EPI", "Mal", "hiv", "TB"];
    let seps = [" ", "_", "/", ":", "\\", "*", "?", "é"];
    let mut out: Vec<String> = Vec::new();
    for _ in 0..3 {
        let stem = g.pick(&stems);
        let word = g.pick(&["MONTHLY", "monthly", "Q"]);
        out.push(format!("{stem}{}{word}", g.pick(&seps)));
        out.push(format!("{stem}{}{word}", g.pick(&seps)));
        out.push(stem.to_uppercase());
        out.push(format!("{}-1", stem.to_lowercase()));
    }
    out.extend(["no-data-set".into(), ".pi2de-files".into(), "CON".into()]);
    out.sort();
    out.dedup();
    out
}

#[test]
fn no_value_is_lost_when_data_set_file_names_collide() {
    for seed in 1..=6u64 {
        let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let dir = Workdir::new();
        let sets = colliding_data_sets(&mut g);
        let mut mapping = String::from("programIndicator,dataElement,dataSet\n");
        let mut input = String::from("dataelement,period,orgunit,value\n");
        let mut n = 0;
        for (i, ds) in sets.iter().enumerate() {
            mapping.push_str(&format!("Pi{i:09},DE_{i},\"{ds}\"\n"));
            for p in 1..=3 {
                input.push_str(&format!("Pi{i:09},20240{p},OuAAAAAAAAA,{}\n", i * 10 + p));
                n += 1;
            }
        }
        // Values of a row without a data set go to no-data-set.json, beside the set so coded.
        mapping.push_str("PiNONE00000,DE_NONE,\n");
        input.push_str("PiNONE00000,202401,OuAAAAAAAAA,7\n");
        n += 1;
        let m = dir.write("m.csv", &mapping);
        let i = dir.write("in.csv", &input);
        let out = dir.file("out");
        // Parts of two values: MAL's parts are named like the set `mal-1`.
        let (code, summary, stderr) = dir.convert(&[
            s(&i),
            "-m",
            s(&m),
            "-o",
            s(&out),
            "--split-by",
            "data-set",
            "--max-values",
            "2",
        ]);
        assert_eq!(code, 0, "seed {seed}: {stderr}");
        assert_eq!(summary["counts"]["written"], n, "seed {seed}");
        let mut found = Vec::new();
        let files = files_in(&out);
        let mut lower: Vec<String> = files.iter().map(|f| f.to_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(
            lower.len(),
            files.len(),
            "seed {seed}: names differing in case: {files:?}"
        );
        for f in files
            .iter()
            .filter(|f| f.ends_with(".json") && !f.starts_with('.'))
        {
            for v in json_values(&out.join(f)) {
                found.push(format!("{} {}", v["dataElement"], v["period"]));
            }
        }
        found.sort();
        let before = found.len();
        found.dedup();
        assert_eq!(before, found.len(), "seed {seed}: a value written twice");
        assert_eq!(
            found.len(),
            n,
            "seed {seed}: values in the files: {files:?}"
        );
        let listed = summary["output"]["files"].as_u64().unwrap() as usize;
        let record: Value =
            serde_json::from_str(&fs::read_to_string(out.join(".pi2de-files.json")).unwrap())
                .unwrap();
        assert_eq!(
            record["files"].as_array().unwrap().len(),
            listed,
            "seed {seed}"
        );
        assert_eq!(
            files.iter().filter(|f| !f.starts_with('.')).count(),
            listed,
            "seed {seed}: {files:?}"
        );
    }
}

/// A header row in the analytics or import spelling, with any case and `_`/space/`-`.
fn header_names(g: &mut Gen) -> [String; 4] {
    let pick = |g: &mut Gen, names: &[&str]| {
        let n = g.pick(names).to_string();
        match g.next() % 3 {
            0 => n.to_uppercase(),
            1 => n.replace('_', " "),
            _ => n,
        }
    };
    [
        pick(g, &["dataelement", "data_element", "dx"]),
        pick(g, &["period", "pe"]),
        pick(
            g,
            &["orgunit", "organisation_unit", "organization_unit", "ou"],
        ),
        pick(g, &["value", "Value", "VALUE"]),
    ]
}

#[test]
fn a_header_naming_a_column_twice_is_refused() {
    let mut g = Gen(7);
    for case in 0..24 {
        let dir = Workdir::new();
        let mut names = header_names(&mut g).to_vec();
        let twice = (g.next() % 4) as usize;
        let again = header_names(&mut g)[twice].clone();
        names.push(again);
        let row = "PiAAAAAAAAA,202401,OuAAAAAAAAA,5,6";
        let input = dir.write("in.csv", &format!("{}\n{row}\n", names.join(",")));
        let out = dir.file("out.json");
        let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
        assert_eq!(code, 2, "case {case} {names:?}: {stderr}");
        assert!(
            stderr.contains("in.csv") && stderr.contains("names one column twice"),
            "case {case}: {stderr}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn a_record_wider_than_its_header_is_refused_and_padding_is_not() {
    let mut g = Gen(11);
    for case in 0..20 {
        let dir = Workdir::new();
        let header = g.next().is_multiple_of(2);
        let mut text = String::new();
        if header {
            text.push_str(
                "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n",
            );
        }
        let bad = (g.next() % 5) as usize;
        for r in 0..5 {
            let value = if r == bad {
                // An unquoted thousands separator, or a stray comma.
                g.pick(&["1,234", "12,5", "3,"]).to_string()
            } else {
                format!("{r}")
            };
            text.push_str(&format!(
                "DeAAAAAAAAA,20240{},OuAAAAAAAAA,,,{value}\n",
                r + 1
            ));
        }
        let input = dir.write("in.csv", &text);
        let out = dir.file("out.json");
        let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
        let trailing_empty = text.contains(",3,\n") || text.contains(",3,\r");
        if trailing_empty {
            assert_ne!(
                code, 2,
                "case {case}: an empty field at the end is padding: {stderr}"
            );
            continue;
        }
        // Without a header an odd first row shows at the next row, which ends before it.
        let line = if !header && bad == 0 {
            2
        } else {
            bad + 1 + usize::from(header)
        };
        assert_eq!(code, 2, "case {case}:\n{text}{stderr}");
        assert!(
            stderr.contains(&format!("in.csv: line {line}")) && stderr.contains("unquoted comma"),
            "case {case}: {stderr}"
        );
        assert!(!out.exists());
    }
}

/// Converts one value given as JSON text `value` (and a payload period) and returns the
/// value and period written.
fn converted_json_value(value: &str, period: &str) -> (String, String) {
    let dir = Workdir::new();
    let input = dir.write(
        "in.json",
        &format!(
            r#"{{"orgUnit":"OuAAAAAAAAA","period":{period},"dataValues":[{{"dataElement":"DeAAAAAAAAA","value":{value}}}]}}"#
        ),
    );
    let out = dir.file("out.json");
    let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 0, "{value}: {stderr}");
    let v = &json_values(&out)[0];
    (
        v["value"].as_str().unwrap().into(),
        v["period"].as_str().unwrap().into(),
    )
}

#[test]
fn a_json_number_is_the_text_written_in_the_file() {
    // The issue's cases, kept digit for digit.
    for n in ["12345678901234567890123", "1.10", "1E2"] {
        assert_eq!(converted_json_value(n, "202401").0, n);
    }
    // Any number reads as the same text in quotes would: one rule for both.
    let mut g = Gen(3);
    for _ in 0..30 {
        let digits: String = (0..1 + g.next() % 25)
            .map(|_| char::from(b'0' + (g.next() % 10) as u8))
            .collect();
        let digits = digits.trim_start_matches('0').to_string();
        let int = if digits.is_empty() {
            "0".to_string()
        } else {
            digits
        };
        let frac = match g.next() % 3 {
            0 => String::new(),
            _ => format!(".{}", g.next() % 1000),
        };
        let exp = *g.pick(&["", "e3", "E-2", "e+10"]);
        let sign = *g.pick(&["", "-"]);
        let n = format!("{sign}{int}{frac}{exp}");
        let as_number = converted_json_value(&n, "202401");
        let as_text = converted_json_value(&format!("\"{n}\""), "\"202401\"");
        assert_eq!(as_number, as_text, "{n}");
    }
    assert_eq!(
        converted_json_value("\"x\"", "202402").1,
        "202402",
        "a number as a payload key"
    );
}

#[test]
fn xml_output_is_well_formed_whatever_the_text() {
    let forbidden: Vec<String> = (1u32..0x20)
        .filter(|c| ![9, 10, 13].contains(c))
        .chain([0xFFFE, 0xFFFF])
        .map(|c| format!("\\u{c:04X}"))
        .collect();
    let dir = Workdir::new();
    let mut values = vec![r#"{"dataElement":"DeAAAAAAAAA","period":"202401","orgUnit":"OuAAAAAAAAA","value":"a&<>\"' \t\n\r\uFFFD\uD83D\uDE00"}"#.to_string()];
    for (i, f) in forbidden.iter().enumerate() {
        values.push(format!(
            r#"{{"dataElement":"DeAAAAAAAAA","period":"2024{:02}","orgUnit":"OuAAAAAAAAA","value":"x{f}y"}}"#,
            i % 12 + 1
        ));
    }
    let input = dir.write(
        "in.json",
        &format!(r#"{{"dataValues":[{}]}}"#, values.join(",")),
    );
    let out = dir.file("out.xml");
    let (code, summary, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(left(&summary, "invalidValue"), forbidden.len() as u64);
    let text = fs::read_to_string(&out).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut seen = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.unwrap();
                    if a.key.local_name().as_ref() == "value" {
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap();
                        seen.push(v.to_string());
                    }
                }
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}\n{text}"),
        }
    }
    assert_eq!(seen, ["a&<>\"' \t\n\r\u{FFFD}😀"]);
}

#[test]
fn an_id_that_is_not_a_uid_is_found_wherever_it_first_appears() {
    let dir = Workdir::new();
    let mapping = dir.write(
        "m.csv",
        "programIndicator,dataElement\nPiAAAAAAAAA,DeAAAAAAAAA\nPiBBBBBBBBB,DeBBBBBBBBB\n\
         PiCCCCCCCCC,DE_CODE\n",
    );
    // Values whose ids repeat from value to value; one late value brings an org-unit code,
    // or a data element code, its other ids all seen before it.
    for (bad, id, option) in [
        (150, "FAC_0150", "--org-unit-scheme code"),
        (77, "DE_CODE", "--target-scheme code"),
    ] {
        let mut text = String::from("dataelement,period,orgunit,value\n");
        for i in 0..200 {
            let mut pi = if i % 2 == 0 {
                "PiAAAAAAAAA"
            } else {
                "PiBBBBBBBBB"
            };
            let mut ou = format!("Ou{:09}", i % 7).replace('0', "A");
            if i == bad && id == "FAC_0150" {
                ou = id.to_string();
            } else if i == bad {
                pi = "PiCCCCCCCCC";
            }
            text.push_str(&format!("{pi},2024{:02},{ou},5\n", i % 12 + 1));
        }
        let input = dir.write("in.csv", &text);
        let out = dir.file("out.json");
        let (code, _, stderr) = dir.convert(&[
            s(&input),
            "-m",
            s(&mapping),
            "-o",
            s(&out),
            "--org-unit-scheme",
            "uid",
            "--target-scheme",
            "uid",
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("`{id}` is not a UID")) && stderr.contains(option),
            "{stderr}"
        );
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn a_scheme_is_declared_only_when_the_ids_can_be_it() {
    let dir = Workdir::new();
    let mapping = dir.write(
        "m.csv",
        "programIndicator,dataElement,dataSet\nPiAAAAAAAAA,DeAAAAAAAAA,DS_MONTH\n",
    );
    let input = dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,FAC_0001,5\n",
    );
    let folder = dir.file("out");
    // A data-set code under --target-scheme uid: refused, naming the option.
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&folder),
        "--split-by",
        "data-set",
        "--target-scheme",
        "uid",
        "--org-unit-scheme",
        "code",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`DS_MONTH` is not a UID") && stderr.contains("--target-scheme code"),
        "{stderr}"
    );
    assert!(!folder.exists(), "nothing written");
    // Org-unit codes with nothing declaring their scheme go out as CODE, never UID.
    let out = dir.file("out.json");
    let (code, _, stderr) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["orgUnitIdScheme"], "CODE");
    // Declared UID, given codes: refused with the option.
    let (code, _, stderr) = dir.convert(&[
        s(&input),
        "-m",
        s(&mapping),
        "-o",
        s(&out),
        "--org-unit-scheme",
        "uid",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`FAC_0001` is not a UID") && stderr.contains("--org-unit-scheme code"),
        "{stderr}"
    );
    // UIDs and codes mixed with nothing declared: refused, naming one of each.
    let mixed = dir.write(
        "mixed.csv",
        "dataelement,period,orgunit,value\nPiAAAAAAAAA,202401,FAC_0001,5\nPiAAAAAAAAA,202402,OuAAAAAAAAA,6\n",
    );
    let (code, _, stderr) = dir.convert(&[
        s(&mixed),
        "-m",
        s(&mapping),
        "-o",
        s(&dir.file("mixed.json")),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("partly UIDs (`OuAAAAAAAAA`) and partly not (`FAC_0001`)"),
        "{stderr}"
    );
}

#[test]
fn a_run_that_would_write_nothing_stops_and_names_the_cause() {
    let dir = Workdir::new();
    // The export names its items by code, the mapping by UID.
    let mapping = dir.write("m.csv", "programIndicator,dataElement\nPiAAAAAAAAA,DE_A\n");
    let input = dir.write(
        "in.csv",
        "dataelement,period,orgunit,value\nPI_ANC_1,202401,OuAAAAAAAAA,5\nPI_ANC_2,202401,OuAAAAAAAAA,6\n",
    );
    for out in ["out.json", "out.csv", "out.xml"] {
        let out = dir.file(out);
        let (code, summary, stderr) = dir.convert(&[s(&input), "-m", s(&mapping), "-o", s(&out)]);
        assert_eq!(code, 2, "{stderr}");
        assert!(!out.exists(), "no empty file to import");
        assert!(
            stderr.contains("2 values read and none would be written (2 unmapped)")
                && stderr.contains("by code (`PI_ANC_1`) and the mapping by UID (`PiAAAAAAAAA`)"),
            "{stderr}"
        );
        assert!(!stderr.contains("To import"), "{stderr}");
        assert_eq!(summary["exitCode"], 2);
    }
}

#[test]
fn a_json_field_named_twice_is_refused_on_both_reading_paths() {
    let dir = Workdir::new();
    let mut g = Gen(0x5eed);
    for field in ["value", "dataElement", "period", "orgUnit"] {
        // Plain strings take the fast path; an escape sends the object to the serde path.
        for escaped in [false, true] {
            let a = if escaped { "\\u0031" } else { "1" };
            let other = g.pick(&["2", "3", "x"]);
            let object = format!(
                "{{\"dataElement\":\"DE\",\"period\":\"202401\",\"orgUnit\":\"OU\",\"value\":\"{a}\",\"{field}\":\"{other}\"}}"
            );
            let input = dir.write("dup.json", &format!("{{\"dataValues\":[{object}]}}"));
            let out = dir.file("out.json");
            let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out)]);
            assert_eq!(code, 2, "{object}: {stderr}");
            assert!(
                stderr.contains(&format!("duplicate field `{field}`"))
                    && stderr.contains("dup.json"),
                "{object}: {stderr}"
            );
            assert!(!out.exists(), "nothing written");
        }
    }
}
