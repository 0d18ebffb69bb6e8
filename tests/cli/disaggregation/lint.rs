//! The offline lint of the tracker's disaggregation set-up: one test per finding.

use super::*;

/// Findings of `mapping check --tracker-metadata` for a tracker set-up.
fn lint(tracker: &str) -> (i32, String) {
    let dir = Workdir::new();
    let trk = dir.write("tracker.json", tracker);
    let mapping = from_metadata(&dir, &trk, None, "m.xlsx");
    let out = pi2de()
        .args([
            "mapping",
            "check",
            s(&mapping),
            "--tracker-metadata",
            s(&trk),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // from-metadata wrote the same lint findings on its findings sheet.
    let proposed = read_workbook(&mapping);
    let written = if proposed.iter().any(|(n, _)| n == "findings") {
        messages(&proposed).join("\n")
    } else {
        String::new()
    };
    for key in [
        "E4071",
        "E4072",
        "E4073",
        "E4074",
        "E4075",
        "E4076",
        "E4077",
        "E4079",
        "DHIS2-",
        "no option mapping",
    ] {
        // The check groups repeated findings into one line; the sheet lists each.
        assert_eq!(
            stdout.matches(key).count() > 0,
            written.matches(key).count() > 0,
            "{key}: check said\n{stdout}\nfrom-metadata wrote\n{written}"
        );
    }
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn a_sound_set_up_lints_clean() {
    let (code, out) = lint(&tracker_metadata(|_| {}));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 errors"), "{out}");
}

#[test]
fn lint_e4071_mapping_not_in_the_program() {
    let (code, out) = lint(&tracker_metadata(|v| {
        v["programIndicators"][0]["categoryMappingIds"][1] = json!("NoSuchMap01");
    }));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("E4071") && out.contains("NoSuchMap01"),
        "{out}"
    );
    // …and the weight category is then unmapped for the indicator.
    assert!(
        out.contains("E4074") && out.contains("Weight in Kilograms (fAe1g4o6ngo)"),
        "{out}"
    );
}

#[test]
fn lint_e4072_unknown_category() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][1]["categoryId"] = json!("NoSuchCat01");
    }));
    assert!(
        out.contains("E4072") && out.contains("NoSuchCat01"),
        "{out}"
    );
}

#[test]
fn lint_e4073_unknown_option() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][0]["optionMappings"][1]["optionId"] =
            json!("NoSuchOpt01");
    }));
    assert!(
        out.contains("E4073") && out.contains("NoSuchOpt01"),
        "{out}"
    );
    // Male then has no option mapping: its events are never counted.
    assert!(
        out.contains("Male (jRbMi0aBjYn)") && out.contains("no option mapping"),
        "{out}"
    );
}

#[test]
fn lint_e4074_a_program_mapping_the_indicator_does_not_list_does_not_count() {
    let (code, out) = lint(&tracker_metadata(|v| {
        v["programIndicators"][0]["categoryMappingIds"] = json!(["gIgiL8ow0bi"]);
    }));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("E4074")
            && out.contains("the program has one, but the indicator does not list it")
            && out.contains("whole analytics request"),
        "{out}"
    );
}

#[test]
fn lint_e4076_e4077_duplicate_mapping_id_and_name() {
    let (_, out) = lint(&tracker_metadata(|v| {
        let mut again = v["programs"][0]["categoryMappings"][0].clone();
        v["programs"][0]["categoryMappings"]
            .as_array_mut()
            .unwrap()
            .push(again.clone());
        again["id"] = json!("OtherMap001");
        v["programs"][0]["categoryMappings"]
            .as_array_mut()
            .unwrap()
            .push(again);
    }));
    assert!(
        out.contains("E4076") && out.contains("gIgiL8ow0bi"),
        "{out}"
    );
    assert!(
        out.contains("E4077") && out.contains("`Gender mapping`"),
        "{out}"
    );
}

#[test]
fn lint_e4075_mapping_id_not_a_uid_and_names_compared_as_typed() {
    let (_, out) = lint(&tracker_metadata(|v| {
        let mut again = v["programs"][0]["categoryMappings"][0].clone();
        again["id"] = json!("gender-map");
        // DHIS2 compares category + name untrimmed: a trailing space is another name.
        again["mappingName"] = json!("Gender mapping ");
        v["programs"][0]["categoryMappings"]
            .as_array_mut()
            .unwrap()
            .push(again);
    }));
    assert!(
        out.contains("E4075") && out.contains("`gender-map`"),
        "{out}"
    );
    assert!(!out.contains("E4077"), "{out}");
}

#[test]
fn lint_e4079_option_mapped_twice() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][0]["optionMappings"][1]["optionId"] = json!(FEMALE);
    }));
    assert!(
        out.contains("E4079") && out.contains("Female (apsOixVZlf1)"),
        "{out}"
    );
}

#[test]
fn lint_option_without_mapping_drops_its_events() {
    let (code, out) = lint(&tracker_metadata(|v| {
        v["programs"][0]["categoryMappings"][1]["optionMappings"]
            .as_array_mut()
            .unwrap()
            .pop();
    }));
    assert_eq!(code, 0, "a warning, not an error: {out}");
    assert!(
        out.contains("Missing weight (weightMissi)")
            && out.contains("no option mapping")
            && out.contains("no event is ever counted"),
        "{out}"
    );
}

#[test]
fn lint_tracker_version_against_known_bugs() {
    let (_, out) = lint(&tracker_metadata(|v| {
        v["system"]["version"] = json!("2.42.0");
    }));
    for bug in ["DHIS2-19663", "DHIS2-21440", "DHIS2-20929", "DHIS2-21513"] {
        assert!(out.contains(bug), "{bug}: {out}");
    }
    assert!(!out.contains("DHIS2-21591"), "a 2.43.0 bug: {out}");
    let (_, fixed) = lint(&tracker_metadata(|_| {}));
    assert!(!fixed.contains("DHIS2-"), "2.42.5 has the fixes: {fixed}");
    // A package's DHIS2Version is what it was built on: only the disaggregation bugs count.
    let (_, package) = lint(&tracker_metadata(|v| {
        v.as_object_mut().unwrap().remove("system");
        v["package"] = json!({"DHIS2Version": "2.42.0"});
    }));
    assert!(package.contains("DHIS2-19663"), "{package}");
    assert!(!package.contains("DHIS2-21513"), "{package}");
}

#[test]
fn lint_categories_that_differ_from_the_hmis_data_element() {
    let dir = Workdir::new();
    let hmis = hmis_metadata().replace(r#""name":"Weight in kilograms""#, r#""name":"Age""#);
    let trk = dir.write("tracker.json", &tracker_metadata(|_| {}));
    let hmis = dir.write("hmis.json", &hmis);
    let out = from_metadata(&dir, &trk, Some(&hmis), "m.xlsx");
    let f = messages(&read_workbook(&out));
    assert!(
        f.iter().any(|m| m.starts_with("warning")
            && m.contains("different categories")
            && m.contains("only in the tracker: Weight in Kilograms (fAe1g4o6ngo)")
            && m.contains("only in the HMIS: Age (HmWeight001)")),
        "{f:?}"
    );
}
