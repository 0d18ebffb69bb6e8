//! Instances on other calendars (`--calendar`): Ethiopian and Nepali exports through windows,
//! the current period, expiry days and `request`; the ISO default over an export whose ids
//! only another calendar has.

use super::target::{entry_verdicts, reason, verdicts_of};
use super::*;

/// An export of one value per period, in the order given.
fn export(periods: &[&str]) -> String {
    let values: Vec<String> = periods
        .iter()
        .map(|pe| {
            format!(r#"{{"dataElement":"DE_A","period":"{pe}","orgUnit":"OU_A","value":"1"}}"#)
        })
        .collect();
    format!(r#"{{"dataValues":[{}]}}"#, values.join(","))
}

/// Converts `periods` with `args` and returns, per value, `written` or its reason.
fn verdicts(periods: &[&str], args: &[&str]) -> (Vec<String>, Value) {
    let dir = Workdir::new();
    let input = dir.write("in.json", &export(periods));
    let out = dir.file("out.json");
    let mut all = vec![s(&input), "-o", s(&out)];
    all.extend_from_slice(args);
    let (_, summary, stderr) = dir.convert(&all);
    // A run that would write nothing exits 2, with its summary.
    assert!(!summary.is_null(), "{stderr}");
    let v = verdicts_of(&summary, periods.len());
    (v, summary)
}

#[test]
fn an_ethiopian_export_through_a_window_of_dates_or_of_its_own_period_ids() {
    // 201412 is 2022-08-07..09-05, 201501 2022-09-11..10-10, 201502 2022-10-11..11-09.
    let periods = ["201412", "201501", "201502", "201513"];
    for window in ["2022-09-11..2022-10-10", "201501..201501"] {
        let (v, summary) = verdicts(&periods, &["--calendar", "ethiopian", "--periods", window]);
        assert_eq!(reason(&v[0]), "outsidePeriod", "{window}: {v:?}");
        assert_eq!(v[1], "written", "{window}: {v:?}");
        assert!(
            v[2].starts_with("outsidePeriod") && v[2].contains("2022-10-11 .. 2022-11-09"),
            "{window}: {v:?}"
        );
        assert!(
            v[3].starts_with("invalidPeriod") && v[3].contains("Pagume"),
            "{window}: {v:?}"
        );
        assert_eq!(summary["options"]["calendar"], "ethiopian");
        // The summary gives each period's ISO dates beside its id.
        assert_eq!(
            summary["periods"],
            serde_json::json!([{"id": "201501", "periodType": "Monthly",
                "start": "2022-09-11", "end": "2022-10-10"}])
        );
    }
    // The same ids on the ISO default are months of 2014 and 2015, outside those dates.
    let (v, _) = verdicts(&periods[..3], &["--periods", "2022-09-11..2022-10-10"]);
    assert!(v.iter().all(|v| v.starts_with("outsidePeriod")), "{v:?}");
}

/// In `calendar`, with `periods` = [the one before, the current one] of a Monthly type ending
/// on `end`: as of `as_of` the current one is left out by `--exclude-current`; with data set
/// EXP (expiryDays 10) it is open on `open_on` and closed on `closed_on`.
fn current_and_expiry(
    calendar: &str,
    periods: [&str; 2],
    as_of: &str,
    end: &str,
    open_on: &str,
    closed_on: &str,
) {
    let (v, _) = verdicts(
        &periods,
        &[
            "--calendar",
            calendar,
            "--exclude-current",
            "--as-of",
            as_of,
        ],
    );
    assert_eq!(v[0], "written", "{calendar}: {v:?}");
    assert!(
        v[1].starts_with("currentPeriod") && v[1].contains(end),
        "{calendar}: {v:?}"
    );
    // OU (never expires) keeps each run writing something.
    let rows = [
        ("EXP", periods[1], "Facility001", "", ""),
        ("OU", periods[1], "Facility001", "", ""),
    ];
    let on =
        |date: &str| entry_verdicts("2.43.2", &["--as-of", date, "--calendar", calendar], &rows);
    assert_eq!(on(open_on)[0], "written", "{calendar}");
    let late = &on(closed_on)[0];
    assert!(
        late.starts_with("periodClosed") && late.contains(end),
        "{calendar}: {late}"
    );
}

#[test]
fn the_current_period_and_expiry_days_follow_the_calendar() {
    // Ethiopian 201501 is 2022-09-11..10-10; Nepali Jestha 2081 (32 days) 2024-05-14..06-14.
    current_and_expiry(
        "ethiopian",
        ["201412", "201501"],
        "2022-10-05",
        "2022-10-10",
        "2022-10-15",
        "2022-10-25",
    );
    current_and_expiry(
        "nepali",
        ["208101", "208102"],
        "2024-06-01",
        "2024-06-14",
        "2024-06-20",
        "2024-06-30",
    );
    // Read as ISO, 201501 is January 2015: long closed.
    let rows = [
        ("EXP", "201501", "Facility001", "", ""),
        ("OU", "201501", "Facility001", "", ""),
    ];
    let iso = entry_verdicts("2.43.2", &["--as-of", "2022-10-15"], &rows);
    assert_eq!(reason(&iso[0]), "periodClosed");
}

#[test]
fn a_nepali_export_with_32_day_months_and_its_window() {
    // Jestha 2081 has 32 days (2024-05-14..06-14); Baisakh 2081 is 2024-04-13..05-13.
    let periods = ["20810232", "208102", "208101", "20810132"];
    let (v, _) = verdicts(
        &periods,
        &[
            "--calendar",
            "nepali",
            "--periods",
            "2024-05-14..2024-06-14",
        ],
    );
    assert_eq!(v[0], "written", "{v:?}");
    assert_eq!(v[1], "written", "{v:?}");
    assert!(v[2].starts_with("outsidePeriod"), "{v:?}");
    assert!(
        v[3].starts_with("invalidPeriod") && v[3].contains("nepali"),
        "{v:?}"
    );
    // Outside DHIS2's table: refused, not guessed.
    let (v, _) = verdicts(&["210101"], &["--calendar", "nepali"]);
    assert!(
        v[0].starts_with("invalidPeriod") && v[0].contains("outside DHIS2's table"),
        "{v:?}"
    );
}

#[test]
fn the_iso_default_names_the_calendar_an_id_belongs_to() {
    let (v, _) = verdicts(&["174013", "20810232"], &[]);
    assert!(
        v[0].starts_with("invalidPeriod") && v[0].contains("--calendar coptic"),
        "{v:?}"
    );
    assert!(v[1].contains("--calendar nepali"), "{v:?}");
}

/// `pi2de request -m m.csv ARGS` (one program indicator) in a fresh folder: its standard output,
/// after checking it exits 0.
fn request(args: &[&str]) -> String {
    let dir = Workdir::new();
    dir.write("m.csv", "programIndicator,dataElement\nPiAAAAAAAAA,DE_A\n");
    let out = pi2de()
        .current_dir(dir.path())
        .args(["request", "-m", "m.csv"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}");
    stdout
}

#[test]
fn request_lists_the_periods_of_the_calendar_and_passes_it_on() {
    for window in ["208101..208103", "2024-04-13..2024-07-15"] {
        let stdout = request(&["--calendar", "nepali", "--periods", window]);
        assert!(
            stdout.contains("pe:208101;208102;208103&"),
            "{window}: {stdout}"
        );
        assert!(stdout.contains("--calendar nepali"), "{stdout}");
    }
    // Ethiopian 2015Q1 is 2022-09-11..2022-12-09, Q2 2022-12-10..2023-03-09.
    let stdout = request(&[
        "--calendar",
        "ethiopian",
        "--period-type",
        "Quarterly",
        "--periods",
        "2022-09-11..2023-03-09",
    ]);
    assert!(stdout.contains("pe:2015Q1;2015Q2&"), "{stdout}");
}

#[test]
fn inspect_shows_the_iso_dates_of_each_period() {
    let dir = Workdir::new();
    dir.write("in.json", &export(&["201501", "2015"]));
    let out = pi2de()
        .current_dir(dir.path())
        .args(["inspect", "in.json", "--calendar", "ethiopian"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("calendar:        ethiopian"), "{stdout}");
    assert!(
        stdout.contains("2022-09-11 .. 2022-10-10") && stdout.contains("2022-09-11 .. 2023-09-05"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_or_unsupported_calendar_is_refused() {
    let dir = Workdir::new();
    dir.write("in.json", &export(&["202401"]));
    for (name, says) in [
        ("mayan", "not a DHIS2 calendar"),
        ("hijri", "not a DHIS2 calendar"),
    ] {
        let (code, stderr) = dir.run(&["convert", "in.json", "-o", "out.json", "--calendar", name]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_only(&dir, &["in.json"]);
    }
}
