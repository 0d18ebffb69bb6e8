//! The HMIS side (issue 20): approvals and lock exceptions (`--approvals`, `--lock-exceptions`)
//! in the shapes DHIS2 writes them — `ApprovalStatusDto` (dhis2-core 2.43
//! `dhis-web-api/.../webdomain/approval/ApprovalStatusDto.java`, the list
//! `GET /api/dataApprovals/approvals` returns) and `LockException` (`GET /api/lockExceptions`,
//! period written by `JacksonExtendedPeriodSerializer` as `{"id": …}`); fractional expiry days
//! per version; the import strategy per version.

use super::target::{entry_verdicts, reason};
use super::*;

/// One approval status as DHIS2 writes it.
fn status(pe: &str, ou: &str, aoc: &str, state: &str) -> Value {
    serde_json::json!({
        "wf": "WfApproval1", "pe": pe, "ou": ou, "ouName": ou, "aoc": aoc, "state": state,
        "level": "LvlDistrict1",
        "permissions": {"mayApprove": false, "mayUnapprove": true, "mayAccept": false,
            "mayUnaccept": false, "mayReadData": true, "mayReadAcceptedBy": true},
    })
}

/// Writes `content` into a folder of its own (kept by the caller) and returns its path.
fn file(dir: &Workdir, name: &str, content: &Value) -> String {
    dir.write(name, &content.to_string())
        .to_string_lossy()
        .into_owned()
}

/// A value that every run here writes (a run that writes nothing exits 2): appended last.
const FILLER: (&str, &str, &str, &str, &str) = ("OU", "202402", "Facility002", "", "");

type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

/// `rows` and the filler.
fn and_filler<'a>(rows: &[Row<'a>]) -> Vec<Row<'a>> {
    let mut all = rows.to_vec();
    all.push(FILLER);
    all
}

/// The entry verdicts of `rows` on 1 March 2024 with `--approvals` holding `statuses`.
fn with_approvals(
    version: &str,
    statuses: Value,
    rows: &[(&str, &str, &str, &str, &str)],
) -> Vec<String> {
    let dir = Workdir::new();
    let approvals = file(&dir, "approvals.json", &statuses);
    entry_verdicts(
        version,
        &["--as-of", "2024-03-01", "--approvals", &approvals],
        &and_filler(rows),
    )
}

#[test]
fn approved_at_the_value_s_own_org_unit_is_left_out_on_both_versions() {
    // DS_OU has workflow WfApproval1 and the default attribute combo.
    let rows = [
        ("OU", "202401", "Facility001", "", ""),
        ("OU", "202402", "Facility001", "", ""),
    ];
    let statuses = serde_json::json!([
        status("202401", "Facility001", "HllvX50cXC0", "APPROVED_HERE"),
        status("202402", "Facility001", "HllvX50cXC0", "UNAPPROVED_READY"),
    ]);
    for version in ["2.42.3", "2.43.1"] {
        let v = with_approvals(version, statuses.clone(), &rows);
        assert!(
            v[0].starts_with("approved") && v[0].contains("Facility001 (APPROVED_HERE)"),
            "{version}: {v:?}"
        );
        assert_eq!(v[1], "written", "{version}: {v:?}");
        // 2.43 skips the check for a value without an attribute option combo: said.
        assert_eq!(
            v[0].contains("2.43 itself would not stop it"),
            version == "2.43.1",
            "{v:?}"
        );
    }
}

#[test]
fn an_approval_above_the_org_unit_locks_it_on_2_42_only() {
    // Approved at the district: the facility's own status is APPROVED_ABOVE. 2.42 follows the
    // hierarchy (DataApproval.getLowestApproval); 2.43 asks the value's own org unit.
    let rows = [("PARTNER", "202401", "Facility001", "", "PARTNER_A")];
    let above = serde_json::json!([
        status("202401", "District001", "AocPartnerA", "ACCEPTED_HERE"),
        status("202401", "Facility001", "AocPartnerA", "APPROVED_ABOVE"),
    ]);
    let v = with_approvals("2.42.3", above.clone(), &rows);
    assert!(
        v[0].starts_with("approved") && v[0].contains("at District001, above Facility001"),
        "{v:?}"
    );
    assert_eq!(with_approvals("2.43.1", above, &rows)[0], "written");
    // Only the facility's APPROVED_ABOVE in the file: still locked on 2.42.
    let only_state = serde_json::json!([status(
        "202401",
        "Facility001",
        "AocPartnerA",
        "APPROVED_ABOVE"
    )]);
    assert_eq!(
        reason(&with_approvals("2.42.3", only_state, &rows)[0]),
        "approved"
    );
    // A named attribute option combo approved at the facility: 2.43 refuses it, without the
    // note about blank combos.
    let here = serde_json::json!([status(
        "202401",
        "Facility001",
        "AocPartnerA",
        "APPROVED_HERE"
    )]);
    let v = with_approvals("2.43.1", here.clone(), &rows);
    assert!(
        v[0].starts_with("approved") && !v[0].contains("would not stop"),
        "{v:?}"
    );
    // Another combo's approval does not count.
    let other = serde_json::json!([status(
        "202401",
        "Facility001",
        "AocPartnerB",
        "APPROVED_HERE"
    )]);
    assert_eq!(with_approvals("2.43.1", other, &rows)[0], "written");
}

#[test]
fn a_data_set_without_a_workflow_is_never_approved() {
    // DS_EXP has no workflow: an approval status naming its key changes nothing.
    let rows = [("EXP", "202402", "Facility001", "", "")];
    let statuses = serde_json::json!([status(
        "202402",
        "Facility001",
        "HllvX50cXC0",
        "APPROVED_HERE"
    )]);
    assert_eq!(with_approvals("2.43.1", statuses, &rows)[0], "written");
}

#[test]
fn a_lock_exception_opens_an_expired_period_on_both_versions() {
    // DS_EXP: expiryDays 10, so January is closed on 1 March.
    let rows = [
        ("EXP", "202401", "Facility001", "", ""),
        ("EXP", "202401", "Facility002", "", ""),
    ];
    let dir = Workdir::new();
    let exceptions = file(
        &dir,
        "lock.json",
        &serde_json::json!({"pager": {"page": 1, "total": 1}, "lockExceptions": [{
            "name": "DS_EXP (Facility001, January 2024)",
            "period": {"id": "202401", "name": "January 2024"},
            "organisationUnit": {"id": "Facility001", "name": "Facility001"},
            "dataSet": {"id": "Ds000DS_EXP", "name": "DS_EXP"},
            "created": "2024-02-20T10:00:00.000"}]}),
    );
    for version in ["2.42.3", "2.43.1"] {
        let without = entry_verdicts(version, &["--as-of", "2024-03-01"], &and_filler(&rows));
        assert_eq!(reason(&without[0]), "periodClosed", "{version}");
        let with = entry_verdicts(
            version,
            &["--as-of", "2024-03-01", "--lock-exceptions", &exceptions],
            &and_filler(&rows),
        );
        assert_eq!(with[0], "written", "{version}: {with:?}");
        // The exception is for Facility001 only.
        assert_eq!(reason(&with[1]), "periodClosed", "{version}: {with:?}");
    }
}

#[test]
fn a_file_that_is_not_what_dhis2_writes_stops_the_run_naming_it() {
    let dir = Workdir::new();
    dir.write("agg.json", &super::target::entry_metadata("2.43.1"));
    dir.write("in.json", r#"{"dataValues":[{"dataElement":"De0000000OU","period":"202401","orgUnit":"Facility001","value":"1"}]}"#);
    let bad_state = serde_json::json!([status("202401", "Facility001", "HllvX50cXC0", "LOCKED")]);
    dir.write("approvals.json", &bad_state.to_string());
    dir.write(
        "lock.json",
        r#"{"lockExceptions": [{"period": {"id": "202401"}}]}"#,
    );
    for (args, says) in [
        (
            vec!["--approvals", "approvals.json"],
            "approvals.json: approval 1: unknown state `LOCKED`",
        ),
        (
            vec!["--lock-exceptions", "lock.json"],
            "lock.json: lock exception 1: no `dataSet`",
        ),
    ] {
        let mut all = vec![
            "convert",
            "in.json",
            "-o",
            "out.json",
            "--target-metadata",
            "agg.json",
        ];
        all.extend(args);
        let (code, stderr) = dir.run(&all);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_only(
            &dir,
            &["agg.json", "in.json", "approvals.json", "lock.json"],
        );
    }
    // Without --target-metadata there are no workflows to judge by.
    let (code, stderr) = dir.run(&[
        "convert",
        "in.json",
        "-o",
        "out.json",
        "--approvals",
        "approvals.json",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--target-metadata"), "{stderr}");
}

#[test]
fn half_a_day_of_expiry_is_half_a_day_on_2_42_and_none_on_2_43() {
    // DS_HALF: expiryDays 0.5. January ends on the 31st: ≤ 2.42 takes data until noon on
    // 1 February (DataSet.isLocked adds the fraction); 2.43 reads the days as 0, no limit.
    let rows = [("HALF", "202401", "Facility001", "", "")];
    let on = |version: &str, as_of: &str| {
        entry_verdicts(version, &["--as-of", as_of], &and_filler(&rows))[0].clone()
    };
    assert_eq!(on("2.42.3", "2024-02-01T09:00"), "written");
    let late = on("2.42.3", "2024-02-01T13:00");
    assert!(
        late.starts_with("periodClosed") && late.contains("until 2024-02-01 12:00"),
        "{late}"
    );
    // A date without a time is judged by the whole day: the limit falls within it.
    assert_eq!(reason(&on("2.42.3", "2024-02-01")), "periodClosed");
    assert_eq!(on("2.42.3", "2024-01-31"), "written");
    for as_of in ["2024-02-01T13:00", "2024-06-01"] {
        assert_eq!(on("2.43.1", as_of), "written", "{as_of}");
    }
}

#[test]
fn an_as_of_that_is_no_date_or_time_is_refused() {
    let dir = Workdir::new();
    dir.write(
        "in.json",
        r#"{"dataValues":[{"dataElement":"DE","period":"202401","orgUnit":"OU","value":"1"}]}"#,
    );
    for bad in [
        "2024-02-01T25:00",
        "2024-02-01T9:00",
        "2024-02-30",
        "2024-02-01T10:00:00:00",
    ] {
        let (code, stderr) = dir.run(&["convert", "in.json", "-o", "out.json", "--as-of", bad]);
        assert_eq!(code, 2, "{bad}: {stderr}");
        assert!(stderr.contains(&format!("--as-of `{bad}`")), "{stderr}");
        assert_only(&dir, &["in.json"]);
    }
}

#[test]
fn the_import_instructions_say_what_the_strategy_does_on_the_target_version() {
    let dir = Workdir::new();
    dir.write(
        "in.json",
        r#"{"dataValues":[{"dataElement":"DE","period":"202401","orgUnit":"OU","value":"1"}]}"#,
    );
    for (version, says) in [
        (
            "2.41.6",
            "\"New only\" leaves values that changed as they were",
        ),
        (
            "2.43.1",
            "\"New only\" and \"Updates only\" import like \"New and updates\"",
        ),
    ] {
        let (code, stderr) = dir.run(&[
            "convert",
            "in.json",
            "-o",
            "out.json",
            "--target-version",
            version,
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains(&format!("On DHIS2 {version}: ")) && stderr.contains(says),
            "{stderr}"
        );
    }
}
