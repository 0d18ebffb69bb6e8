//! Period ids of every type, windows, and the calendar arithmetic.
use super::*;
use calendars::Calendar::Iso8601 as ISO;

fn ok(id: &str) -> Period {
    parse(id).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn span(id: &str) -> (String, String, PeriodType, String) {
    let p = ok(id);
    (p.start.to_string(), p.end.to_string(), p.period_type, p.id)
}

fn bad(id: &str) {
    assert!(parse(id).is_err(), "{id} should be invalid");
}

#[test]
fn daily() {
    assert_eq!(
        span("20240229"),
        (
            "2024-02-29".into(),
            "2024-02-29".into(),
            PeriodType::Daily,
            "20240229".into()
        )
    );
    assert_eq!(ok("2024-03-15").id, "20240315");
    bad("20230229");
    bad("20240431");
    bad("20241301");
    bad("2024-0315");
}

#[test]
fn weekly_iso_rules() {
    // 2024W1 starts Monday 1 January 2024.
    assert_eq!(span("2024W1").0, "2024-01-01");
    // 2021W1 starts 4 January 2021; 2020 has 53 weeks.
    assert_eq!(span("2021W1").0, "2021-01-04");
    assert_eq!(span("2020W53").0, "2020-12-28");
    assert_eq!(ok("2024W05").id, "2024W5", "zero padding dropped");
    bad("2021W53");
    bad("2024W54");
    bad("2024W0");
    bad("2024W");
    bad("2024W123");
}

#[test]
fn weekly_other_start_days() {
    let p = ok("2024WedW1");
    assert_eq!(p.period_type, PeriodType::WeeklyWednesday);
    assert_eq!(p.start.weekday(), 2);
    assert!(p.start <= Date::new(2024, 1, 4).unwrap() && p.end >= Date::new(2024, 1, 4).unwrap());
    assert_eq!(ok("2024ThuW2").start.weekday(), 3);
    assert_eq!(ok("2024FriW2").start.weekday(), 4);
    assert_eq!(ok("2024SatW2").start.weekday(), 5);
    assert_eq!(ok("2024SunW2").start.weekday(), 6);
    bad("2024MonW1");
}

#[test]
fn biweekly() {
    let p = ok("2024BiW1");
    assert_eq!(
        (p.start.to_string(), p.end.to_string()),
        ("2024-01-01".into(), "2024-01-14".into())
    );
    assert_eq!(ok("2024BiW2").start.to_string(), "2024-01-15");
    assert!(parse("2020BiW27").is_ok(), "2020 has 53 weeks");
    bad("2024BiW27");
    bad("2024BiW0");
}

#[test]
fn monthly() {
    assert_eq!(
        span("202402"),
        (
            "2024-02-01".into(),
            "2024-02-29".into(),
            PeriodType::Monthly,
            "202402".into()
        )
    );
    assert_eq!(ok("2024-12").id, "202412");
    bad("202413");
    bad("202400");
    bad("2024-1");
    bad("2024123");
}

#[test]
fn bimonthly() {
    assert_eq!(span("202402B").0, "2024-03-01", "index 02 is March–April");
    assert_eq!(span("202406B").1, "2024-12-31");
    bad("202407B");
    bad("202400B");
    bad("20242B");
}

#[test]
fn quarterly_and_nov_quarters() {
    assert_eq!(span("2024Q1").1, "2024-03-31");
    assert_eq!(span("2024Q4").0, "2024-10-01");
    bad("2024Q5");
    bad("2024Q0");
    // NovQ1 = Nov 2023–Jan 2024 (labelled with the end year).
    assert_eq!(
        span("2024NovQ1"),
        (
            "2023-11-01".into(),
            "2024-01-31".into(),
            PeriodType::QuarterlyNov,
            "2024NovQ1".into()
        )
    );
    assert_eq!(span("2024NovQ2").0, "2024-02-01");
    bad("2024NovQ5");
}

#[test]
fn six_monthly() {
    assert_eq!(span("2024S2").0, "2024-07-01");
    bad("2024S3");
    assert_eq!(
        span("2024AprilS1"),
        (
            "2024-04-01".into(),
            "2024-09-30".into(),
            PeriodType::SixMonthlyApril,
            "2024AprilS1".into()
        )
    );
    assert_eq!(span("2024AprilS2").1, "2025-03-31");
    assert_eq!(
        span("2024NovS1"),
        (
            "2023-11-01".into(),
            "2024-04-30".into(),
            PeriodType::SixMonthlyNov,
            "2024NovS1".into()
        )
    );
    assert_eq!(span("2024NovS2").1, "2024-10-31");
    bad("2024NovS3");
}

#[test]
fn yearly_and_financial() {
    assert_eq!(
        span("2024"),
        (
            "2024-01-01".into(),
            "2024-12-31".into(),
            PeriodType::Yearly,
            "2024".into()
        )
    );
    assert_eq!(span("2024April").1, "2025-03-31");
    assert_eq!(span("2024July").0, "2024-07-01");
    assert_eq!(span("2024Sep").1, "2025-08-31");
    assert_eq!(span("2024Oct").0, "2024-10-01");
    assert_eq!(span("2024Feb").1, "2025-01-31");
    assert_eq!(span("2024Aug").0, "2024-08-01");
    // FinancialNov is labelled with its end year.
    assert_eq!(
        span("2024Nov"),
        (
            "2023-11-01".into(),
            "2024-10-31".into(),
            PeriodType::FinancialNov,
            "2024Nov".into()
        )
    );
    bad("2024Dec");
    bad("2024Apr");
}

#[test]
fn garbage_is_refused_without_panic() {
    for id in [
        "",
        " ",
        "abc",
        "20",
        "2024-",
        "2024--01",
        "2024W1x",
        "２０２４",
        "2024Q",
        "2024NovQ",
        "9999W99",
        "2024-01-1",
        "2024S1a",
    ] {
        bad(id);
    }
}

#[test]
fn windows() {
    let w = Window::parse("202402..202403").unwrap();
    assert_eq!(w.to_string(), "2024-02-01..2024-03-31");
    assert!(!w.contains(&ok("202401")));
    assert!(w.contains(&ok("202402")) && w.contains(&ok("202403")));
    assert!(
        !w.contains(&ok("2024Q1")),
        "a quarter sticks out of a two-month window"
    );
    assert!(w.contains(&ok("2024W10")));
    let open = Window::parse("202401..").unwrap();
    assert!(open.contains(&ok("2030")) && !open.contains(&ok("2023W52")));
    let dates = Window::parse("..2024-01-31").unwrap();
    assert!(dates.contains(&ok("202401")) && !dates.contains(&ok("2024Q1")));
    assert!(
        Window::parse("2024NovQ1..2024NovQ1")
            .unwrap()
            .contains(&ok("202312"))
    );
    // One period alone is its own window.
    let one = Window::parse("202402").unwrap();
    assert_eq!(
        (one.from, one.to),
        (Date::new(2024, 2, 1), Date::new(2024, 2, 29))
    );
    assert!(Window::parse("2024-13").is_err());
    assert!(Window::parse("202403..202401").is_err());
    assert!(Window::parse("2024-13-01..").is_err());
}

#[test]
fn date_round_trip() {
    for days in [-800_000i64, -1, 0, 1, 19_000, 2_000_000] {
        assert_eq!(Date::from_days(days).days(), days);
    }
    assert_eq!(Date::new(1970, 1, 1).unwrap().weekday(), 3, "a Thursday");
}

#[test]
fn the_period_holding_a_date_for_every_type() {
    use PeriodType::*;
    let d = |s: &str| Date::parse(s).unwrap();
    for (pt, date, id) in [
        (Daily, "2024-03-15", "20240315"),
        (Weekly, "2024-01-01", "2024W1"),
        (Weekly, "2021-01-03", "2020W53"),
        (WeeklySunday, "2023-12-31", "2024SunW1"),
        (WeeklySunday, "2024-01-07", "2024SunW2"),
        (BiWeekly, "2024-01-10", "2024BiW1"),
        (Monthly, "2024-02-29", "202402"),
        (BiMonthly, "2024-04-30", "202402B"),
        (Quarterly, "2024-05-01", "2024Q2"),
        (QuarterlyNov, "2023-11-01", "2024NovQ1"),
        (QuarterlyNov, "2024-02-01", "2024NovQ2"),
        (SixMonthlyApril, "2025-03-31", "2024AprilS2"),
        (SixMonthlyNov, "2023-12-01", "2024NovS1"),
        (SixMonthlyNov, "2024-05-01", "2024NovS2"),
        (Yearly, "2024-12-31", "2024"),
        (FinancialApril, "2025-03-31", "2024April"),
        (FinancialNov, "2023-11-01", "2024Nov"),
        (FinancialOct, "2024-10-01", "2024Oct"),
    ] {
        let p = calendar::holding(ISO, pt, d(date)).unwrap_or_else(|| panic!("{pt} {date}"));
        assert_eq!(p.id, id, "{pt} {date}");
    }
    // Every day of two years, for every type: the period found holds the day.
    for &pt in PeriodType::ALL {
        for n in 0..731 {
            let day = d("2023-01-01").add_days(n);
            assert!(calendar::holding(ISO, pt, day).is_some(), "{pt} {day}");
        }
    }
}

#[test]
fn shifting_and_rewinding() {
    let p = ok("202401");
    assert_eq!(calendar::shift(ISO, &p, -1).unwrap().id, "202312");
    assert_eq!(calendar::shift(ISO, &p, 13).unwrap().id, "202502");
    assert_eq!(
        calendar::shift(ISO, &ok("2024W52"), 1).unwrap().id,
        "2025W1"
    );
    assert_eq!(calendar::shift(ISO, &ok("2024Q4"), 1).unwrap().id, "2025Q1");
    assert_eq!(
        calendar::shift(ISO, &ok("20240229"), 1).unwrap().id,
        "20240301"
    );
    let d = |s: &str| Date::parse(s).unwrap();
    assert_eq!(
        calendar::rewind(ISO, PeriodType::Monthly, d("2024-03-31"), 1),
        d("2024-02-29")
    );
    assert_eq!(
        calendar::rewind(ISO, PeriodType::Quarterly, d("2024-01-31"), -1),
        d("2024-04-30")
    );
    assert_eq!(
        calendar::rewind(ISO, PeriodType::Weekly, d("2024-01-08"), 1),
        d("2024-01-01")
    );
    assert_eq!(
        calendar::rewind(ISO, PeriodType::Yearly, d("2024-02-29"), 1),
        d("2023-02-28")
    );
}
