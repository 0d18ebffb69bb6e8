//! Calendar arithmetic on periods, as DHIS2 does it for the data-entry checks: the period of a
//! type that holds a date (`PeriodType.createPeriod`), the period `n` steps later
//! (`getNextPeriod`), and a date moved back by `n` periods (`getRewindedDate`, Joda-Time month
//! arithmetic: the day is clamped to the month's end). In another calendar (`super::calendars`)
//! the same rules run on that calendar's dates; weekly types there are not read yet.

use super::{
    Calendar, CalendarDate, Date, Period, PeriodType, days_in_month, parse_in, week_one_start,
};

/// For weekly types: the weekday a week starts on (Monday = 0) and the id's infix.
fn weekly(pt: PeriodType) -> Option<(i64, &'static str)> {
    use PeriodType::*;
    Some(match pt {
        Weekly => (0, "W"),
        WeeklyWednesday => (2, "WedW"),
        WeeklyThursday => (3, "ThuW"),
        WeeklyFriday => (4, "FriW"),
        WeeklySaturday => (5, "SatW"),
        WeeklySunday => (6, "SunW"),
        _ => return None,
    })
}

/// The length of a month-based period type in months.
fn months_long(pt: PeriodType) -> Option<i32> {
    use PeriodType::*;
    Some(match pt {
        Monthly => 1,
        BiMonthly => 2,
        Quarterly | QuarterlyNov => 3,
        SixMonthly | SixMonthlyApril | SixMonthlyNov => 6,
        Yearly | FinancialFeb | FinancialApril | FinancialJuly | FinancialAug | FinancialSep
        | FinancialOct | FinancialNov => 12,
        _ => return None,
    })
}

/// The (label year, week number) of the week starting on `start_weekday` that holds `d`.
fn week_of(d: Date, start_weekday: i64) -> (i32, i64) {
    let start = d.add_days(-(d.weekday() - start_weekday).rem_euclid(7));
    let year = (d.year - 1..=d.year + 1)
        .rev()
        .find(|&y| week_one_start(y, start_weekday) <= start)
        .unwrap_or(d.year);
    let n = (start.days() - week_one_start(year, start_weekday).days()) / 7 + 1;
    (year, n)
}

/// The id of the period of type `pt` that holds `d`.
fn id_holding(pt: PeriodType, d: Date) -> String {
    use PeriodType::*;
    let (y, m) = (d.year, d.month);
    if let Some((start, infix)) = weekly(pt) {
        let (year, n) = week_of(d, start);
        return format!("{year:04}{infix}{n}");
    }
    match pt {
        Daily => format!("{y:04}{m:02}{:02}", d.day),
        BiWeekly => {
            let (year, n) = week_of(d, 0);
            format!("{year:04}BiW{}", (n + 1) / 2)
        }
        Monthly => format!("{y:04}{m:02}"),
        BiMonthly => format!("{y:04}{:02}B", m.div_ceil(2)),
        Quarterly => format!("{y:04}Q{}", m.div_ceil(3)),
        QuarterlyNov => {
            let (year, k) = if m >= 11 { (y + 1, m - 11) } else { (y, m + 1) };
            format!("{year:04}NovQ{}", k / 3 + 1)
        }
        SixMonthly => format!("{y:04}S{}", if m <= 6 { 1 } else { 2 }),
        SixMonthlyApril => match m {
            4..=9 => format!("{y:04}AprilS1"),
            10..=12 => format!("{y:04}AprilS2"),
            _ => format!("{:04}AprilS2", y - 1),
        },
        SixMonthlyNov => match m {
            11..=12 => format!("{:04}NovS1", y + 1),
            1..=4 => format!("{y:04}NovS1"),
            _ => format!("{y:04}NovS2"),
        },
        Yearly => format!("{y:04}"),
        FinancialNov => format!("{:04}Nov", if m >= 11 { y + 1 } else { y }),
        _ => {
            let (first, suffix) = match pt {
                FinancialFeb => (2, "Feb"),
                FinancialApril => (4, "April"),
                FinancialJuly => (7, "July"),
                FinancialAug => (8, "Aug"),
                FinancialSep => (9, "Sep"),
                _ => (10, "Oct"),
            };
            format!("{:04}{suffix}", if m >= first { y } else { y - 1 })
        }
    }
}

/// The period of type `pt` that holds `d` (DHIS2's `createPeriod(date)`), in an instance
/// running `cal`.
pub fn holding(cal: Calendar, pt: PeriodType, d: Date) -> Option<Period> {
    let id = if cal.is_iso() {
        id_holding(pt, d)
    } else {
        if weekly(pt).is_some() || pt == PeriodType::BiWeekly {
            return None;
        }
        let c = cal.date_of(d).ok()?;
        id_holding(
            pt,
            Date {
                year: c.year,
                month: c.month,
                day: c.day,
            },
        )
    };
    parse_in(cal, &id)
        .ok()
        .filter(|p| p.start <= d && d <= p.end)
}

/// The period `n` steps after `p` (before it for negative `n`).
pub fn shift(cal: Calendar, p: &Period, n: i64) -> Option<Period> {
    let pt = p.period_type;
    if !cal.is_iso()
        && let Some(len) = months_long(pt)
    {
        let start = cal.date_of(p.start).ok()?;
        let mut moved = cal.plus_months(start, n.saturating_mul(i64::from(len)));
        // Coptic's month 13 is in no period of two months or more: step over it.
        if moved.month == 13 && len > 1 {
            moved = cal.plus_months(moved, n.signum());
        }
        return holding(cal, pt, cal.to_iso(moved).ok()?);
    }
    let date = match (weekly(pt), months_long(pt)) {
        (Some(_), _) => p.start.add_days(7 * n),
        (_, Some(len)) => Date::month_start(
            p.start.year,
            p.start.month as i32 + (n as i32).saturating_mul(len),
        ),
        _ if pt == PeriodType::BiWeekly => p.start.add_days(14 * n),
        _ => p.start.add_days(n),
    };
    // Ethiopian days step over Pagume, which is in no period (`EthiopianCalendar.plusDays`).
    let mut date = date;
    for _ in 0..6 {
        if cal != Calendar::Ethiopian || holding(cal, pt, date).is_some() {
            break;
        }
        date = date.add_days(n.signum());
    }
    holding(cal, pt, date)
}

/// `d` moved back by `n` periods of type `pt` (forward for negative `n`): DHIS2's
/// `getRewindedDate`, with Joda-Time's clamping of the day for months.
pub fn rewind(cal: Calendar, pt: PeriodType, d: Date, n: i64) -> Date {
    if !cal.is_iso()
        && let Some(len) = months_long(pt)
        && let Some(moved) = rewind_months(cal, d, n.saturating_mul(i64::from(len)))
    {
        return moved;
    }
    match (weekly(pt), months_long(pt)) {
        (Some(_), _) => d.add_days(-7 * n),
        (_, Some(len)) => {
            let first = Date::month_start(d.year, d.month as i32 - (n as i32).saturating_mul(len));
            let day = d.day.min(days_in_month(first.year, first.month));
            Date { day, ..first }
        }
        _ if pt == PeriodType::BiWeekly => d.add_days(-14 * n),
        _ => d.add_days(-n),
    }
}

/// `d` moved back by `months` months of `cal`, the day clamped to the month's length; `None`
/// for a date of no month there (Ethiopian Pagume) or outside the calendar's table.
fn rewind_months(cal: Calendar, d: Date, months: i64) -> Option<Date> {
    let c = cal.date_of(d).ok()?;
    let first = cal.plus_months(c, -months);
    let day = c.day.min(cal.days_in_month(first.year, first.month).ok()?);
    cal.to_iso(CalendarDate { day, ..first }).ok()
}
