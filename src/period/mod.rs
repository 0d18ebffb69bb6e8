//! DHIS2 period ids (dhis2-core `api/period/PeriodType` and subclasses; docs/dhis2-rules.md):
//! parsing every period type, validating it (month 13, week 54, bi-month 7 are refused), the
//! canonical id DHIS2 itself generates, and the start and end date of each period.

pub mod calendar;
pub mod calendars;

use std::fmt;

pub use calendars::{Calendar, CalendarDate};

/// Declares the period types once: the enum and the list of all of them.
macro_rules! period_types {
    ($($name:ident),+ $(,)?) => {
        /// The DHIS2 period types (`PeriodTypeEnum` names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PeriodType {
            $($name),+
        }

        impl PeriodType {
            pub const ALL: &[PeriodType] = &[$(PeriodType::$name),+];

            /// The name DHIS2 gives the type (`PeriodTypeEnum`): `Monthly`, `FinancialApril`.
            pub fn name(self) -> &'static str {
                match self {
                    $(PeriodType::$name => stringify!($name)),+
                }
            }
        }
    };
}

period_types! {
    Daily,
    Weekly,
    WeeklyWednesday,
    WeeklyThursday,
    WeeklyFriday,
    WeeklySaturday,
    WeeklySunday,
    BiWeekly,
    Monthly,
    BiMonthly,
    Quarterly,
    QuarterlyNov,
    SixMonthly,
    SixMonthlyApril,
    SixMonthlyNov,
    Yearly,
    FinancialFeb,
    FinancialApril,
    FinancialJuly,
    FinancialAug,
    FinancialSep,
    FinancialOct,
    FinancialNov,
}

impl PeriodType {
    /// DHIS2's `getFrequencyOrder`: about the days a period lasts.
    pub fn frequency_order(self) -> u32 {
        use PeriodType::*;
        match self {
            Daily => 1,
            Weekly | WeeklyWednesday | WeeklyThursday | WeeklyFriday | WeeklySaturday
            | WeeklySunday => 7,
            BiWeekly => 14,
            Monthly => 30,
            BiMonthly => 61,
            Quarterly | QuarterlyNov => 91,
            SixMonthly | SixMonthlyApril | SixMonthlyNov => 182,
            Yearly | FinancialFeb | FinancialApril | FinancialJuly | FinancialAug
            | FinancialSep | FinancialOct | FinancialNov => 365,
        }
    }

    /// The period type named as DHIS2 names it (`Monthly`, `FinancialApril`).
    pub fn from_name(name: &str) -> Option<PeriodType> {
        PeriodType::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl fmt::Display for PeriodType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calendar date (ISO calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> i64 {
        (self.days() + 3).rem_euclid(7)
    }

    /// The first day of the month `months` after (year, month); `month` may exceed 12 or be < 1.
    pub(crate) fn month_start(year: i32, month: i32) -> Date {
        let m0 = year * 12 + (month - 1);
        Date {
            year: m0.div_euclid(12),
            month: (m0.rem_euclid(12) + 1) as u32,
            day: 1,
        }
    }

    /// Parses `yyyy-MM-dd` or `yyyyMMdd`.
    pub fn parse(s: &str) -> Option<Date> {
        let digits: String = match s.len() {
            10 if s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' => {
                format!("{}{}{}", &s[..4], &s[5..7], &s[8..])
            }
            8 => s.to_string(),
            _ => return None,
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Date::new(
            digits[..4].parse().ok()?,
            digits[4..6].parse().ok()?,
            digits[6..].parse().ok()?,
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A valid DHIS2 period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub period_type: PeriodType,
    /// The id DHIS2 generates for it (`2024W5`, `20240315`, `202401`).
    pub id: String,
    pub start: Date,
    pub end: Date,
}

/// Why a period id was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPeriod(pub String);

impl fmt::Display for InvalidPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, InvalidPeriod> {
    Err(InvalidPeriod(msg.into()))
}

/// The first day of week 1 of `year` for weeks starting on `start_weekday` (Monday = 0): week 1
/// is the week that holds 4 January (the ISO rule, which DHIS2 applies to every weekly type).
pub(crate) fn week_one_start(year: i32, start_weekday: i64) -> Date {
    let jan4 = Date {
        year,
        month: 1,
        day: 4,
    };
    jan4.add_days(-(jan4.weekday() - start_weekday).rem_euclid(7))
}

fn weeks_in_year(year: i32, start_weekday: i64) -> u32 {
    ((week_one_start(year + 1, start_weekday).days() - week_one_start(year, start_weekday).days())
        / 7) as u32
}

fn number(s: &str, what: &str, id: &str) -> Result<u32, InvalidPeriod> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return invalid(format!("`{id}`: {what} must be a number"));
    }
    s.parse()
        .map_err(|_| InvalidPeriod(format!("`{id}`: bad {what}")))
}

fn in_range(n: u32, max: u32, what: &str, id: &str) -> Result<u32, InvalidPeriod> {
    if n == 0 || n > max {
        return invalid(format!("`{id}`: {what} {n} is out of range 1–{max}"));
    }
    Ok(n)
}

/// Months-based periods: start month offset from January of `year` (below 1: the year before)
/// and length in months, by the calendar's month arithmetic (`DateUnitPeriodTypeParser`: the
/// start, `plusMonths`, a day back; a year ends on the last day of month 12).
fn months(
    cal: Calendar,
    period_type: PeriodType,
    id: String,
    year: i32,
    first_month: i32,
    len: i32,
) -> Result<Period, InvalidPeriod> {
    if cal.is_iso() {
        let start = Date::month_start(year, first_month);
        let next = Date::month_start(year, first_month + len);
        return Ok(Period {
            period_type,
            id,
            start,
            end: next.add_days(-1),
        });
    }
    let (y, m) = if first_month < 1 {
        (year - 1, (first_month + 12) as u32)
    } else {
        (year, first_month as u32)
    };
    let start = CalendarDate {
        year: y,
        month: m,
        day: 1,
    };
    let in_cal = |r: Result<Date, String>| r.map_err(|e| InvalidPeriod(format!("`{id}`: {e}")));
    let end = if period_type == PeriodType::Yearly {
        cal.days_in_month(year, 12).map(|day| CalendarDate {
            year,
            month: 12,
            day,
        })
    } else {
        cal.day_before_month(cal.plus_months(start, i64::from(len)))
    };
    let end = in_cal(end.and_then(|e| cal.to_iso(e)))?;
    let start = in_cal(cal.to_iso(start))?;
    Ok(Period {
        period_type,
        id,
        start,
        end,
    })
}

/// Parses a DHIS2 period id of any type. Accepts the forms DHIS2 ≤ 2.42 accepts (`2024-01`,
/// `2024-03-15`, `2024W05`) and returns the id DHIS2 generates (`202401`, `20240315`, `2024W5`).
pub fn parse(id: &str) -> Result<Period, InvalidPeriod> {
    parse_in(Calendar::Iso8601, id)
}

/// Why `id` is no period, for a person: the calendar named when it is not ISO; under ISO, the
/// calendars in which it would be one (`201513`, `20810232`), with the option to give.
pub fn in_calendar(cal: Calendar, id: &str, e: InvalidPeriod) -> String {
    let mut why = e.0;
    if !cal.is_iso() {
        if !why.contains(cal.name()) {
            why.push_str(&format!(" (in the {cal} calendar)"));
        }
        return why;
    }
    let others: Vec<&str> = Calendar::ALL
        .into_iter()
        .filter(|c| !c.is_iso() && parse_in(*c, id).is_ok())
        .map(Calendar::name)
        .collect();
    // Every id of ISO form is a period of most calendars: only a hint when ISO refuses it.
    if !others.is_empty() && others.len() < Calendar::ALL.len() - 2 {
        why.push_str(&format!(
            "; it is a period of the {} calendar: if the instance runs on it, give --calendar {}",
            others.join(" or "),
            others[0]
        ));
    }
    why
}

/// [`parse`] in an instance running `cal`: the id names a period of that calendar, whose start
/// and end are given as ISO dates. Weekly types are read in ISO calendars only.
pub fn parse_in(cal: Calendar, id: &str) -> Result<Period, InvalidPeriod> {
    let s = id.trim();
    if s.is_empty() {
        return invalid("no period");
    }
    if s.len() < 4 || !s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return invalid(format!(
            "`{s}` is not a DHIS2 period id (it must start with a year)"
        ));
    }
    let year: i32 = s[..4]
        .parse()
        .map_err(|_| InvalidPeriod(format!("`{s}`: bad year")))?;
    let rest = &s[4..];
    if rest.is_empty() {
        return months(cal, PeriodType::Yearly, format!("{year:04}"), year, 1, 12);
    }
    if rest.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return days_and_months(cal, s, year, rest);
    }
    if let Some(p) = bi_monthly(cal, s, year, rest).transpose() {
        return p;
    }
    if let Some(p) = weekly(s, year, rest).transpose() {
        if !cal.is_iso() && rest.starts_with("BiW") {
            let n = number(&rest[3..], "bi-week", s)?;
            let (start, end) = cal
                .bi_week(year, n)
                .map_err(|e| InvalidPeriod(format!("`{s}`: {e}")))?;
            return Ok(Period {
                period_type: PeriodType::BiWeekly,
                id: format!("{year:04}BiW{n}"),
                start,
                end,
            });
        }
        if !cal.is_iso() {
            // `DateUnitPeriodTypeParser` checks a week by `createPeriod(start.toJdkDate(), …)`,
            // which reads the calendar's date as an ISO one (DHIS2-20277, January 2026).
            return invalid(format!(
                "`{s}`: DHIS2's importer cannot read weekly ids of the {cal} calendar (since \
                 DHIS2-20277, in 2.40.11, 2.41.8, 2.42.4 and 2.43.0, it checks the week's start \
                 as if it were an ISO date); pi2de leaves them out"
            ));
        }
        return p;
    }
    if let Some(p) = quarters_and_halves(cal, s, year, rest).transpose() {
        return p;
    }
    financial(cal, s, year, rest)
}

/// Daily and Monthly, with or without dashes: `202401`, `2024-01`, `20240315`, `2024-03-15`.
fn days_and_months(cal: Calendar, s: &str, year: i32, rest: &str) -> Result<Period, InvalidPeriod> {
    let digits: String = rest.chars().filter(|c| *c != '-').collect();
    let dashed = rest.starts_with('-');
    let well_formed = match (digits.len(), dashed) {
        (2, false) => rest.len() == 2,
        (2, true) => rest.len() == 3,
        (4, false) => rest.len() == 4,
        (4, true) => rest.len() == 6 && rest.as_bytes()[3] == b'-',
        _ => false,
    };
    if !well_formed {
        return invalid(format!("`{s}` is not a DHIS2 period id"));
    }
    let month: u32 = digits[..2].parse().unwrap_or(0);
    if cal.is_iso() && !(1..=12).contains(&month) {
        return invalid(format!("`{s}`: month {month} does not exist"));
    }
    if let Err(e) = cal.days_in_month(year, month) {
        return invalid(format!("`{s}`: {e}"));
    }
    if digits.len() == 2 {
        let id = format!("{year:04}{month:02}");
        return months(cal, PeriodType::Monthly, id, year, month as i32, 1);
    }
    let day: u32 = digits[2..].parse().unwrap_or(0);
    let date = if cal.is_iso() {
        let Some(date) = Date::new(year, month, day) else {
            return invalid(format!("`{s}`: day {day} does not exist in that month"));
        };
        date
    } else {
        cal.to_iso(CalendarDate { year, month, day })
            .map_err(|e| InvalidPeriod(format!("`{s}`: {e}")))?
    };
    Ok(Period {
        period_type: PeriodType::Daily,
        id: format!("{year:04}{month:02}{day:02}"),
        start: date,
        end: date,
    })
}

/// BiMonthly: `yyyyMMB` where MM is the bi-month index (01–06).
fn bi_monthly(
    cal: Calendar,
    s: &str,
    year: i32,
    rest: &str,
) -> Result<Option<Period>, InvalidPeriod> {
    if rest.len() != 3 || !rest.ends_with('B') {
        return Ok(None);
    }
    let n = in_range(number(&rest[..2], "bi-month", s)?, 6, "bi-month", s)?;
    if rest.as_bytes()[0] != b'0' {
        return invalid(format!("`{s}`: bi-month {n} is out of range 01–06"));
    }
    let id = format!("{year:04}{n:02}B");
    months(cal, PeriodType::BiMonthly, id, year, 2 * n as i32 - 1, 2).map(Some)
}

/// The weekly types: ISO weeks (week 1 holds 4 January) starting on their weekday.
fn weekly(s: &str, year: i32, rest: &str) -> Result<Option<Period>, InvalidPeriod> {
    use PeriodType::*;
    const WEEKLY: [(&str, PeriodType, i64); 7] = [
        ("BiW", BiWeekly, 0),
        ("WedW", WeeklyWednesday, 2),
        ("ThuW", WeeklyThursday, 3),
        ("FriW", WeeklyFriday, 4),
        ("SatW", WeeklySaturday, 5),
        ("SunW", WeeklySunday, 6),
        ("W", Weekly, 0),
    ];
    let Some((prefix, period_type, start_weekday, n)) = WEEKLY
        .iter()
        .find_map(|&(p, t, w)| rest.strip_prefix(p).map(|n| (p, t, w, n)))
    else {
        return Ok(None);
    };
    let n = number(n, "week", s)?;
    let weeks = weeks_in_year(year, start_weekday);
    let (max, len, what) = if period_type == BiWeekly {
        (weeks.div_ceil(2), 14, "bi-week")
    } else {
        (weeks, 7, "week")
    };
    let n = in_range(n, max, what, s)?;
    let first_week = if len == 14 { 2 * n - 1 } else { n };
    let start = week_one_start(year, start_weekday).add_days(7 * (i64::from(first_week) - 1));
    Ok(Some(Period {
        period_type,
        id: format!("{year:04}{prefix}{n}"),
        start,
        end: start.add_days(len - 1),
    }))
}

/// Quarters and six-months, including the November and April years.
fn quarters_and_halves(
    cal: Calendar,
    s: &str,
    year: i32,
    rest: &str,
) -> Result<Option<Period>, InvalidPeriod> {
    use PeriodType::*;
    const SPLITS: [(&str, PeriodType, u32, i32, i32); 5] = [
        // prefix, type, count, first month of period 1 (relative to the labelled year), length
        ("NovQ", QuarterlyNov, 4, -1, 3),
        ("Q", Quarterly, 4, 1, 3),
        ("AprilS", SixMonthlyApril, 2, 4, 6),
        ("NovS", SixMonthlyNov, 2, -1, 6),
        ("S", SixMonthly, 2, 1, 6),
    ];
    for (prefix, period_type, count, first, len) in SPLITS {
        // `2024Sep` starts with `S` too: a period number is one digit.
        if let Some(n) = rest.strip_prefix(prefix).filter(|n| n.len() == 1) {
            let n = in_range(number(n, "period number", s)?, count, "period number", s)?;
            let id = format!("{year:04}{prefix}{n}");
            let first = first + len * (n as i32 - 1);
            return months(cal, period_type, id, year, first, len).map(Some);
        }
    }
    Ok(None)
}

/// Financial years: the labelled year is the start year, except FinancialNov (end year).
fn financial(cal: Calendar, s: &str, year: i32, rest: &str) -> Result<Period, InvalidPeriod> {
    use PeriodType::*;
    const FINANCIAL: [(&str, PeriodType, i32); 7] = [
        ("Feb", FinancialFeb, 2),
        ("April", FinancialApril, 4),
        ("July", FinancialJuly, 7),
        ("Aug", FinancialAug, 8),
        ("Sep", FinancialSep, 9),
        ("Oct", FinancialOct, 10),
        ("Nov", FinancialNov, -1),
    ];
    match FINANCIAL.iter().find(|f| f.0 == rest) {
        Some(&(suffix, period_type, first)) => months(
            cal,
            period_type,
            format!("{year:04}{suffix}"),
            year,
            first,
            12,
        ),
        None => invalid(format!("`{s}` is not a DHIS2 period id")),
    }
}

/// A window of dates (`--periods FROM..TO`): either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl Window {
    /// Parses `FROM..TO` where each end is a period id of any type or a date (`2024-01-01`);
    /// a period as FROM counts from its first day, as TO up to its last day.
    pub fn parse(s: &str) -> Result<Window, String> {
        Window::parse_in(Calendar::Iso8601, s)
    }

    /// [`Window::parse`] with period ids of `cal`. Dates stay ISO; in another calendar only
    /// `yyyy-mm-dd` is a date (`20150101` is a day of that calendar).
    pub fn parse_in(cal: Calendar, s: &str) -> Result<Window, String> {
        // One period (or day) alone is the window of that period.
        let (from, to) = s.split_once("..").unwrap_or((s, s));
        let end = |text: &str, first: bool| -> Result<Option<Date>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            if let Some(d) = Date::parse(text).filter(|_| cal.is_iso() || text.contains('-')) {
                return Ok(Some(d));
            }
            let p = parse_in(cal, text).map_err(|e| {
                format!("`{text}` is neither a date (2024-01-31) nor a period id: {e}")
            })?;
            Ok(Some(if first { p.start } else { p.end }))
        };
        let window = Window {
            from: end(from, true)?,
            to: end(to, false)?,
        };
        if let (Some(f), Some(t)) = (window.from, window.to)
            && f > t
        {
            return Err(format!(
                "`{s}`: the window ends ({t}) before it starts ({f})"
            ));
        }
        Ok(window)
    }

    /// True when the period lies wholly inside the window.
    pub fn contains(&self, p: &Period) -> bool {
        self.contains_dates(p.start, p.end)
    }

    /// True when the days `start..=end` lie wholly inside the window.
    pub fn contains_dates(&self, start: Date, end: Date) -> bool {
        self.from.is_none_or(|f| start >= f) && self.to.is_none_or(|t| end <= t)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        write!(f, "{}..{}", show(self.from), show(self.to))
    }
}

#[cfg(test)]
mod tests;
