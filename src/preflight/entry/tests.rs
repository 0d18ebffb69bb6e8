//! The entry checks' rules, each against DHIS2's own cases.
use super::timeliness::{after_future_periods, expired, input_closed};
use super::*;

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn period(id: &str) -> (crate::period::Period, Id) {
    (crate::period::parse(id).unwrap(), Id::EMPTY)
}

fn facts(p: &crate::period::Period) -> PeriodFacts<'_> {
    PeriodFacts {
        key: Id::EMPTY,
        id: &p.id,
        period_type: p.period_type,
        start: p.start,
        end: p.end,
    }
}

/// A data-set rule's verdict on period `id` on the import date `as_of`.
fn judge(
    rule: fn(&DataSet, &str, &PeriodFacts, Date) -> Option<String>,
    ds: &DataSet,
    id: &str,
    as_of: &str,
) -> Option<String> {
    let (p, _) = period(id);
    rule(ds, "DS", &facts(&p), date(as_of))
}

#[test]
fn expiry_days_close_a_period_the_day_after_the_last_day() {
    // period, expiryDays, import date, closed
    let cases = [
        ("202401", 10.0, "2024-02-10", false),
        ("202401", 10.0, "2024-02-11", true),
        ("202401", 0.0, "2030-01-01", false),
        ("202401", -1.0, "2030-01-01", false),
        ("2024W1", 1.0, "2024-01-08", false),
        ("2024W1", 1.0, "2024-01-09", true),
    ];
    for (id, days, as_of, closed) in cases {
        let ds = DataSet {
            expiry_days: days,
            ..DataSet::default()
        };
        let rules = |ds: &DataSet, name: &str, p: &PeriodFacts, as_of: Date| {
            let rules = EntryRules {
                version: None,
                as_of,
                as_of_seconds: None,
                edit_expired: false,
                payload_data_set: false,
                calendar: Calendar::Iso8601,
            };
            expired(ds, name, p, &rules)
        };
        let got = judge(rules, &ds, id, as_of);
        assert_eq!(
            got.is_some(),
            closed,
            "{id} expiryDays {days} on {as_of}: {got:?}"
        );
    }
}

#[test]
fn future_periods_open_the_current_period_and_those_after_it() {
    // period, openFuturePeriods, import date, closed ("0 open periods implies current
    // period is locked": `PeriodType.getFuturePeriod`)
    let cases = [
        ("202402", 0, "2024-03-15", false),
        ("202403", 0, "2024-03-15", true),
        ("202403", 1, "2024-03-15", false),
        ("202404", 1, "2024-03-15", true),
        ("202404", 2, "2024-03-15", false),
        ("202405", 2, "2024-03-15", true),
        ("2024Q2", 2, "2024-03-31", false),
        ("2024Q3", 2, "2024-03-31", true),
    ];
    for (id, open, as_of, closed) in cases {
        let ds = DataSet {
            open_future_periods: open,
            ..DataSet::default()
        };
        let iso = |ds: &DataSet, name: &str, p: &PeriodFacts, as_of: Date| {
            after_future_periods(ds, name, p, as_of, Calendar::Iso8601)
        };
        let got = judge(iso, &ds, id, as_of);
        assert_eq!(
            got.is_some(),
            closed,
            "{id} openFuturePeriods {open} on {as_of}: {got:?}"
        );
    }
}

#[test]
fn input_periods_open_by_day_before_243_and_by_moment_from_243() {
    let v242 = Version::parse("2.42.3");
    let v243 = Version::parse("2.43.0");
    // opening, closing, import date, version, closed
    let cases = [
        (
            Some("2024-02-01"),
            Some("2024-02-10T00:00:00.000"),
            "2024-02-10",
            v242,
            false,
        ),
        (
            Some("2024-02-01"),
            Some("2024-02-10T00:00:00.000"),
            "2024-02-10",
            v243,
            true,
        ),
        (
            Some("2024-02-01"),
            Some("2024-02-10T12:00:00.000"),
            "2024-02-10",
            v243,
            false,
        ),
        (
            Some("2024-02-01"),
            Some("2024-02-10"),
            "2024-02-11",
            v242,
            true,
        ),
        (Some("2024-02-01"), None, "2030-01-01", v243, false),
        (None, Some("2024-02-10T12:00"), "2020-01-01", v243, false),
        (Some("2024-02-01"), None, "2024-01-31", v243, true),
    ];
    let (p, _) = period("202401");
    for (from, to, as_of, version, closed) in cases {
        let rules = EntryRules {
            version,
            as_of: date(as_of),
            as_of_seconds: None,
            edit_expired: false,
            payload_data_set: false,
            calendar: Calendar::Iso8601,
        };
        let spans = vec![(Moment::parse(from), Moment::parse(to))];
        let got = input_closed(Some(&spans), "DS", &facts(&p), &rules);
        assert_eq!(
            got.is_some(),
            closed,
            "{from:?} .. {to:?} on {as_of} ({version:?}): {got:?}"
        );
    }
    let rules = EntryRules {
        version: v243,
        as_of: date("2024-02-05"),
        as_of_seconds: None,
        edit_expired: false,
        payload_data_set: false,
        calendar: Calendar::Iso8601,
    };
    let none = input_closed(None, "DS", &facts(&p), &rules).unwrap();
    assert!(none.contains("202401 is not one of them"), "{none}");
}
