//! What the import does to what is in the HMIS (issue 20): compulsory operands of
//! `--complete`, stale values removed against the HMIS's own export (`--current
//! --remove-stale`), comments and follow-up flags overwritten or kept, and `compare` showing
//! them; `/api/dataValueSets` exports in the shapes DHIS2 writes (dhis2-core 2.43
//! `DataExportOutput`).

use super::*;

/// HMIS metadata with two Monthly data sets of data elements A and B, both compulsory (A with
/// the default combo, B whatever its combo); DS_SKIP has compulsoryFieldsCompleteOnly.
fn compulsory_metadata() -> String {
    let de = |c: &str| {
        serde_json::json!({"id": format!("De{c:0>9}"), "code": c, "name": c,
        "valueType": "INTEGER", "categoryCombo": {"id": "bjDvmb4bfuf"}})
    };
    let ds = |code: &str, only: bool| {
        serde_json::json!({
            "id": format!("Ds{code:0>9}"), "code": code, "name": code, "periodType": "Monthly",
            "categoryCombo": {"id": "bjDvmb4bfuf"}, "expiryDays": 0, "openFuturePeriods": 12,
            "compulsoryFieldsCompleteOnly": only,
            "compulsoryDataElementOperands": [
                {"dataElement": {"id": format!("De{:0>9}", format!("{code}A"))},
                 "categoryOptionCombo": {"id": "HllvX50cXC0"}},
                {"dataElement": {"id": format!("De{:0>9}", format!("{code}B"))}}],
            "dataSetElements": [
                {"dataElement": {"id": format!("De{:0>9}", format!("{code}A"))}},
                {"dataElement": {"id": format!("De{:0>9}", format!("{code}B"))}}],
        })
    };
    let elements: Vec<Value> = ["SKIPA", "SKIPB", "KEEPA", "KEEPB"].map(de).to_vec();
    serde_json::json!({
        "system": {"version": "2.43.1"},
        "categoryCombos": [{"id": "bjDvmb4bfuf", "name": "default"}],
        "categoryOptionCombos": [{"id": "HllvX50cXC0", "name": "default", "code": "default",
            "categoryCombo": {"id": "bjDvmb4bfuf"}}],
        "dataElements": elements,
        "dataSets": [ds("SKIP", true), ds("KEEP", false)],
    })
    .to_string()
}

#[test]
fn registrations_lacking_compulsory_values_are_reported_and_dated() {
    let dir = Workdir::new();
    dir.write("agg.json", &compulsory_metadata());
    let value = |de: &str, ou: &str| {
        format!(r#"{{"dataElement":"{de}","period":"202401","orgUnit":"{ou}","value":"1"}}"#)
    };
    let values = [
        value("SKIPA", "OuComplete1"),
        value("SKIPB", "OuComplete1"),
        value("SKIPA", "OuLacking01"),
        value("KEEPB", "OuLacking01"),
    ];
    dir.write(
        "in.json",
        &format!(r#"{{"dataValues":[{}]}}"#, values.join(",")),
    );
    let f = |name: &str| s(&dir.file(name)).to_string();
    let (code, summary, stderr) = dir.convert(&[
        &f("in.json"),
        "-o",
        &f("out.json"),
        "--target-metadata",
        &f("agg.json"),
        "--as-of",
        "2024-02-10",
        "--complete",
        &f("complete.json"),
        "--complete-date",
        "2024-02-05",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let c = &summary["completeness"];
    assert_eq!(c["registrations"], 3, "{c}");
    assert_eq!(c["date"], "2024-02-05");
    let lacking = c["lackingCompulsory"].as_array().unwrap();
    let row = |ds: &str| {
        lacking
            .iter()
            .find(|r| r["dataSet"] == ds)
            .unwrap_or_else(|| panic!("{ds}: {c}"))
    };
    // SKIP at OuLacking01 lacks B (any combo): DHIS2 skips it (compulsoryFieldsCompleteOnly).
    assert_eq!(row("SKIP")["missing"], serde_json::json!(["De0000SKIPB"]));
    assert_eq!(row("SKIP")["skipped"], true);
    // KEEP lacks A with the default combo: registered with a conflict.
    assert_eq!(
        row("KEEP")["missing"],
        serde_json::json!(["De0000KEEPA.HllvX50cXC0"])
    );
    assert_eq!(row("KEEP")["skipped"], false);
    assert_eq!(lacking.len(), 2, "OuComplete1 has both: {c}");
    assert!(
        stderr.contains("import it after the values")
            && stderr.contains("2 registrations lack compulsory values"),
        "{stderr}"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.file("complete.json")).unwrap()).unwrap();
    let regs = doc["completeDataSetRegistrations"].as_array().unwrap();
    assert!(regs.iter().all(|r| r["date"] == "2024-02-05"), "{doc}");
    // Without --complete-date the console says what the import time means.
    let (_, _, stderr) = dir.convert(&[
        &f("in.json"),
        "-o",
        &f("out2.json"),
        "--target-metadata",
        &f("agg.json"),
        "--as-of",
        "2024-02-10",
        "--complete",
        &f("complete2.json"),
    ]);
    assert!(
        stderr.contains("without --complete-date the import time becomes the completion date"),
        "{stderr}"
    );
    let (code, stderr) = dir.run(&[
        "convert",
        "in.json",
        "-o",
        "out3.json",
        "--complete",
        "c3.json",
        "--complete-date",
        "5 Feb",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--complete-date `5 Feb`"), "{stderr}");
}

#[test]
fn remove_stale_deletes_what_the_hmis_holds_for_mapped_targets_in_scope_and_nothing_else() {
    let dir = Workdir::new();
    dir.write(
        "m.csv",
        "programIndicator,dataElement,categoryOptionCombo\nPiAAAAAAAAA,DE_X,F\nPiBBBBBBBBB,DE_X,M\nPiCCCCCCCCC,DE_Y,\n",
    );
    let v = |de: &str, pe: &str, ou: &str, coc: &str, value: &str| {
        let coc = if coc.is_empty() {
            String::new()
        } else {
            format!(r#","categoryOptionCombo":"{coc}""#)
        };
        format!(
            r#"{{"dataElement":"{de}","period":"{pe}","orgUnit":"{ou}"{coc},"value":"{value}"}}"#
        )
    };
    let export = [
        v("PiAAAAAAAAA", "202401", "OuCovered01", "", "5"),
        v("PiCCCCCCCCC", "202401", "OuCovered01", "", "2"),
    ];
    dir.write(
        "in.json",
        &format!(r#"{{"dataValues":[{}]}}"#, export.join(",")),
    );
    // The HMIS's /api/dataValueSets export, as it writes values (storedBy, lastUpdated, …).
    let hmis: Vec<String> = [
        v("DE_X", "202401", "OuCovered01", "F", "4"), // written again: kept
        v("DE_X", "202401", "OuCovered01", "M", "3"), // stale, a disaggregated item: deleted
        v("DE_Z", "202401", "OuCovered01", "", "9"),  // not a mapped target: kept
        v("DE_X", "202401", "OuElsewhere", "M", "1"), // an org unit this run does not write to
        v("DE_X", "202312", "OuCovered01", "M", "1"), // outside --periods
    ]
    .into_iter()
    .map(|x| {
        x.replacen(
            '}',
            r#","storedBy":"clerk","lastUpdated":"2024-02-03T10:00:00.000","followup":false}"#,
            1,
        )
    })
    .collect();
    dir.write(
        "hmis.json",
        &format!(r#"{{"dataValues":[{}]}}"#, hmis.join(",")),
    );
    let f = |name: &str| s(&dir.file(name)).to_string();
    let (code, summary, stderr) = dir.convert(&[
        &f("in.json"),
        "-m",
        &f("m.csv"),
        "-o",
        &f("out.json"),
        "--periods",
        "202401..202401",
        "--current",
        &f("hmis.json"),
        "--remove-stale",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let deleted: Vec<String> = json_values(&dir.file("out.json"))
        .iter()
        .filter(|v| v["deleted"] == true)
        .map(|v| {
            format!(
                "{} {} {} {}",
                v["dataElement"], v["categoryOptionCombo"], v["orgUnit"], v["period"]
            )
        })
        .collect();
    assert_eq!(
        deleted,
        [r#""DE_X" "M" "OuCovered01" "202401""#],
        "{stderr}"
    );
    assert_eq!(
        summary["deletedValues"][0]["source"],
        "stale in the HMIS (--remove-stale)"
    );
    assert!(
        stderr.contains("stale") && stderr.contains("typed in by hand"),
        "{stderr}"
    );
    // --remove-stale needs --current; --current alone deletes nothing.
    let (code, stderr) = dir.run(&[
        "convert",
        "in.json",
        "-m",
        "m.csv",
        "-o",
        "o.json",
        "--remove-stale",
    ]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = dir.convert(&[
        &f("in.json"),
        "-m",
        &f("m.csv"),
        "-o",
        &f("o.json"),
        "--periods",
        "202401..202401",
        "--current",
        &f("hmis.json"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        json_values(&dir.file("o.json"))
            .iter()
            .all(|v| v["deleted"] != true)
    );
}

/// Writes `m.csv`, mapping three program indicators to DE_X/F, DE_X/M and DE_Y (in
/// `data_set` when given), and `in.json`, their `values` for 202401 at OuCovered01.
pub(crate) fn three_targets(dir: &Workdir, values: [&str; 3], data_set: Option<&str>) {
    let ds = data_set.map_or(String::new(), |d| format!(",{d}"));
    let header = if data_set.is_some() { ",dataSet" } else { "" };
    dir.write(
        "m.csv",
        &format!(
            "programIndicator,dataElement,categoryOptionCombo{header}\nPiAAAAAAAAA,DE_X,F{ds}\nPiBBBBBBBBB,DE_X,M{ds}\nPiCCCCCCCCC,DE_Y,{ds}\n"
        ),
    );
    let pis = ["PiAAAAAAAAA", "PiBBBBBBBBB", "PiCCCCCCCCC"];
    let export: Vec<String> = pis
        .iter()
        .zip(values)
        .map(|(pi, v)| {
            format!(r#"{{"dataElement":"{pi}","period":"202401","orgUnit":"OuCovered01","value":"{v}"}}"#)
        })
        .collect();
    dir.write(
        "in.json",
        &format!(r#"{{"dataValues":[{}]}}"#, export.join(",")),
    );
}

/// The HMIS's `/api/dataValueSets` export of three values, as JSON, CSV or XML: one commented
/// by a data manager, one marked for follow-up, one untouched.
fn hmis_export(format: &str) -> String {
    let rows = [
        ("DE_X", "F", "5", "checked by DM", "false", "admin"),
        ("DE_X", "M", "3", "", "true", "pi2de-bot"),
        ("DE_Y", "", "2", "", "false", "pi2de-bot"),
    ];
    match format {
        "json" => {
            let values: Vec<String> = rows
                .iter()
                .map(|(de, coc, v, c, f, by)| {
                    let coc = if coc.is_empty() { "HllvX50cXC0" } else { coc };
                    format!(r#"{{"dataElement":"{de}","period":"202401","orgUnit":"OuCovered01","categoryOptionCombo":"{coc}","attributeOptionCombo":"HllvX50cXC0","value":"{v}","storedBy":"{by}","created":"2024-02-01T09:00:00.000+0000","lastUpdated":"2024-02-03T10:00:00.000+0000","comment":"{c}","followup":{f}}}"#)
                })
                .collect();
            format!(r#"{{"dataValues":[{}]}}"#, values.join(","))
        }
        "csv" => {
            let mut out = String::from(
                "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted\n",
            );
            for (de, coc, v, c, f, by) in rows {
                let coc = if coc.is_empty() { "HllvX50cXC0" } else { coc };
                out.push_str(&format!("{de},202401,OuCovered01,{coc},HllvX50cXC0,{v},{by},2024-02-03T10:00:00.000+0000,\"{c}\",{f},false\n"));
            }
            out
        }
        _ => {
            let mut out = String::from(r#"<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">"#);
            for (de, coc, v, c, f, by) in rows {
                let coc = if coc.is_empty() { "HllvX50cXC0" } else { coc };
                // DataExportOutput.toXml: `followUp` only when true, `comment` only when set.
                let followup = if f == "true" {
                    r#" followUp="true""#
                } else {
                    ""
                };
                let comment = if c.is_empty() {
                    String::new()
                } else {
                    format!(r#" comment="{c}""#)
                };
                out.push_str(&format!(r#"<dataValue dataElement="{de}" period="202401" orgUnit="OuCovered01" categoryOptionCombo="{coc}" attributeOptionCombo="HllvX50cXC0" value="{v}" storedBy="{by}" lastUpdated="2024-02-03T10:00:00.000+0000"{comment}{followup}/>"#));
            }
            out + "</dataValueSet>"
        }
    }
}

#[test]
fn the_import_overwriting_hmis_comments_and_follow_up_is_reported_or_kept() {
    let dir = Workdir::new();
    three_targets(&dir, ["6", "3", "2"], None);
    let f = |name: &str| s(&dir.file(name)).to_string();
    for format in ["json", "csv", "xml"] {
        let hmis = format!("hmis.{format}");
        dir.write(&hmis, &hmis_export(format));
        let run = |extra: &[&str]| {
            let mut args = vec![
                f("in.json"),
                "-m".into(),
                f("m.csv"),
                "-o".into(),
                f("out.json"),
                "--current".into(),
                f(&hmis),
                "--integration-user".into(),
                "pi2de-bot".into(),
            ];
            args.extend(extra.iter().map(|a| a.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            dir.convert(&args)
        };
        let (code, summary, stderr) = run(&[]);
        assert_eq!(code, 0, "{format}: {stderr}");
        let h = &summary["hmisEdits"];
        assert_eq!(
            (
                &h["commentsWiped"],
                &h["followupsCleared"],
                &h["storedBySomeoneElse"]
            ),
            (
                &serde_json::json!(1),
                &serde_json::json!(1),
                &serde_json::json!(1)
            ),
            "{format}: {h}"
        );
        assert_eq!(h["values"][0]["comment"], "checked by DM", "{format}: {h}");
        assert_eq!(h["values"][0]["storedBy"], "admin", "{format}");
        assert!(
            stderr.contains("overwrites what people did in the HMIS"),
            "{stderr}"
        );
        // Without --remove-stale nothing is deleted.
        assert!(
            json_values(&dir.file("out.json"))
                .iter()
                .all(|v| v["deleted"] != true)
        );
        // Kept: the output carries the HMIS's comment and follow-up flag.
        let (code, summary, stderr) = run(&["--keep-hmis-comments"]);
        assert_eq!(code, 0, "{format}: {stderr}");
        let h = &summary["hmisEdits"];
        assert_eq!(
            (&h["commentsWiped"], &h["followupsCleared"]),
            (&serde_json::json!(0), &serde_json::json!(0)),
            "{format}: {h}"
        );
        let out = json_values(&dir.file("out.json"));
        let of = |coc: &str| {
            out.iter()
                .find(|v| v["dataElement"] == "DE_X" && v["categoryOptionCombo"] == coc)
                .unwrap()
                .clone()
        };
        assert_eq!(of("F")["comment"], "checked by DM", "{format}");
        // ≤ 2.42 reads `followup`, 2.43 `followUp`: both are written.
        assert_eq!(
            (&of("M")["followup"], &of("M")["followUp"]),
            (&Value::Bool(true), &Value::Bool(true)),
            "{format}"
        );
        assert!(of("F").get("followup").is_none(), "{format}");
        // Read back (both spellings are one field), the kept output changes only the value
        // that changed (5 → 6): not the comment, not the follow-up.
        let (code, stderr) = dir.run(&[
            "compare",
            "out.json",
            "--with",
            &hmis,
            "--summary",
            "c.json",
        ]);
        assert_eq!(code, 1, "{format}: {stderr}");
        let c: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.file("c.json")).unwrap()).unwrap();
        assert_eq!(
            (&c["counts"]["changed"], &c["counts"]["unchanged"]),
            (&serde_json::json!(1), &serde_json::json!(2)),
            "{format}: {c}"
        );
        assert_eq!(c["changes"][0]["what"], "value", "{format}: {c}");
        // XML writes `followUp`, as both importers read it.
        let (code, _, stderr) = run(&["--keep-hmis-comments", "--to", "xml"]);
        assert_eq!(code, 0, "{stderr}");
        let xml = std::fs::read_to_string(dir.file("out.json")).unwrap();
        assert!(
            xml.contains(r#"followUp="true""#) && xml.contains(r#"comment="checked by DM""#),
            "{xml}"
        );
    }
    let (code, stderr) = dir.run(&[
        "convert",
        "in.json",
        "-m",
        "m.csv",
        "-o",
        "o.json",
        "--keep-hmis-comments",
    ]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn compare_counts_a_comment_or_follow_up_difference_as_a_change_and_shows_who_stored_it() {
    let dir = Workdir::new();
    // The transfer (pi2de's output): the same three values the HMIS holds, no comments.
    dir.write(
        "transfer.json",
        r#"{"dataValues":[
{"dataElement":"DE_X","period":"202401","orgUnit":"OuCovered01","categoryOptionCombo":"F","value":"5"},
{"dataElement":"DE_X","period":"202401","orgUnit":"OuCovered01","categoryOptionCombo":"M","value":"3"},
{"dataElement":"DE_Y","period":"202401","orgUnit":"OuCovered01","value":"2"}]}"#,
    );
    for format in ["json", "csv", "xml"] {
        let hmis = format!("hmis.{format}");
        dir.write(&hmis, &hmis_export(format));
        let (code, stderr) = dir.run(&[
            "compare",
            "transfer.json",
            "--with",
            &hmis,
            "-o",
            "changes.csv",
            "--summary",
            "s.json",
        ]);
        assert_eq!(code, 1, "{format}: {stderr}");
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.file("s.json")).unwrap()).unwrap();
        assert_eq!(summary["counts"]["changed"], 2, "{format}: {summary}");
        assert_eq!(summary["counts"]["unchanged"], 1, "{format}: {summary}");
        let changes = summary["changes"].as_array().unwrap();
        let what: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| {
                (
                    c["what"].as_str().unwrap(),
                    c["storedBy"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            what,
            [("comment", "admin"), ("followup", "pi2de-bot")],
            "{format}"
        );
        assert_eq!(changes[0]["hmisComment"], "checked by DM");
        let csv = std::fs::read_to_string(dir.file("changes.csv")).unwrap();
        assert!(
            csv.lines()
                .next()
                .unwrap()
                .ends_with("what,hmisComment,hmisFollowup,storedBy,lastUpdated")
                && csv.contains("comment,checked by DM,false,admin,2024-02-03T10:00:00.000+0000"),
            "{format}: {csv}"
        );
    }
}
