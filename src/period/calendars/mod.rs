//! The calendars a DHIS2 instance may run on (system setting `keyCalendar`) and the day and month
//! arithmetic of each as DHIS2's server does it (dhis2-core `api/calendar/impl/*Calendar.java`,
//! branch 2.43): a date of the calendar to its ISO date, the length of a month, a month later, a
//! day earlier. Period ids are read with it in [`super::parse_in`]; docs/dhis2-rules.md,
//! *Calendars*.

mod nepali;
mod persian;
mod table;

use table::{NEPALI, PERSIAN};

use std::fmt;

use super::Date;

/// A calendar of `keyCalendar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Calendar {
    #[default]
    Iso8601,
    /// Joda's GregorianChronology, which DHIS2 treats as ISO (`isIso8601()` is true).
    Gregorian,
    /// Joda's EthiopicChronology with DHIS2's override: twelve months of 30 days; the
    /// thirteenth month (Pagume) is refused and its days belong to no month.
    Ethiopian,
    /// Joda's CopticChronology: twelve months of 30 days and a thirteenth of 5 or 6.
    Coptic,
    /// Joda's BuddhistChronology: ISO months, the year 543 later.
    Thai,
    /// Joda's JulianChronology.
    Julian,
    /// DHIS2's own table of month lengths (2000–2100).
    Nepali,
    /// DHIS2's own table of month lengths (1353–1418).
    Persian,
    /// Joda's IslamicChronology: the arithmetical calendar (months of 30 and 29 days, 11 leap
    /// years in 30, the "16-based" pattern), epoch 16 July 622 (Julian).
    Islamic,
}

impl Calendar {
    pub const ALL: [Calendar; 9] = [
        Calendar::Iso8601,
        Calendar::Gregorian,
        Calendar::Ethiopian,
        Calendar::Coptic,
        Calendar::Thai,
        Calendar::Julian,
        Calendar::Nepali,
        Calendar::Islamic,
        Calendar::Persian,
    ];

    /// The `keyCalendar` value.
    pub fn name(self) -> &'static str {
        match self {
            Calendar::Iso8601 => "iso8601",
            Calendar::Gregorian => "gregorian",
            Calendar::Ethiopian => "ethiopian",
            Calendar::Coptic => "coptic",
            Calendar::Thai => "thai",
            Calendar::Julian => "julian",
            Calendar::Nepali => "nepali",
            Calendar::Islamic => "islamic",
            Calendar::Persian => "persian",
        }
    }

    /// A `keyCalendar` value (any case; `iso` for iso8601).
    pub fn from_name(name: &str) -> Result<Calendar, String> {
        let lower = name.trim().to_ascii_lowercase();
        if lower == "iso" {
            return Ok(Calendar::Iso8601);
        }
        if let Some(c) = Calendar::ALL.into_iter().find(|c| c.name() == lower) {
            return Ok(c);
        }
        let known: Vec<&str> = Calendar::ALL.iter().map(|c| c.name()).collect();
        Err(format!(
            "`{name}` is not a DHIS2 calendar (one of: {})",
            known.join(", ")
        ))
    }

    /// True where DHIS2 reads period ids by the ISO rules (`Calendar.isIso8601()`).
    pub fn is_iso(self) -> bool {
        matches!(self, Calendar::Iso8601 | Calendar::Gregorian)
    }

    /// How many months the calendar's month arithmetic cycles through: 13 for Coptic (Joda),
    /// 12 for the rest (Ethiopian's `plusMonths` skips Pagume).
    fn months_in_cycle(self) -> u32 {
        if self == Calendar::Coptic { 13 } else { 12 }
    }

    /// The days of `month` of `year`, or why there is no such month.
    pub fn days_in_month(self, year: i32, month: u32) -> Result<u32, String> {
        let no_month = || {
            Err(format!(
                "month {month} does not exist in the {self} calendar"
            ))
        };
        match self {
            Calendar::Iso8601 | Calendar::Gregorian | Calendar::Thai | Calendar::Julian => {
                if !(1..=12).contains(&month) {
                    return no_month();
                }
                Ok(match month {
                    2 if self.is_leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                })
            }
            Calendar::Ethiopian if month == 13 => Err(
                "month 13 (Pagume) is refused by DHIS2's Ethiopian calendar (EthiopianCalendar.daysInMonth)"
                    .into(),
            ),
            Calendar::Ethiopian | Calendar::Coptic => match month {
                1..=12 => Ok(30),
                13 if self == Calendar::Coptic => Ok(if year.rem_euclid(4) == 3 { 6 } else { 5 }),
                _ => no_month(),
            },
            Calendar::Nepali | Calendar::Persian => {
                if !(1..=12).contains(&month) {
                    return no_month();
                }
                let table = if self == Calendar::Nepali { &NEPALI } else { &PERSIAN };
                table.year(year).map(|months| u32::from(months[month as usize - 1]))
            }
            Calendar::Islamic => match month {
                12 if islamic_leap(year) => Ok(30),
                1..=12 if month % 2 == 1 => Ok(30),
                1..=12 => Ok(29),
                _ => no_month(),
            },
        }
    }

    fn is_leap(self, year: i32) -> bool {
        match self {
            Calendar::Julian => year.rem_euclid(4) == 0,
            Calendar::Thai => super::is_leap(year - 543),
            _ => super::is_leap(year),
        }
    }

    /// The ISO date of a date of this calendar, or why there is none.
    pub fn to_iso(self, d: CalendarDate) -> Result<Date, String> {
        let days = self.days_in_month(d.year, d.month)?;
        if d.day < 1 || d.day > days {
            return Err(format!(
                "day {} does not exist in month {} of {} in the {self} calendar",
                d.day, d.month, d.year
            ));
        }
        let (y, m, day) = (i64::from(d.year), i64::from(d.month), i64::from(d.day));
        Ok(match self {
            Calendar::Iso8601 | Calendar::Gregorian => Date {
                year: d.year,
                month: d.month,
                day: d.day,
            },
            Calendar::Thai => Date {
                year: d.year - 543,
                month: d.month,
                day: d.day,
            },
            // Julian day numbers (1970-01-01 is 2440588); epochs of Calendrical Calculations,
            // the ones Joda's chronologies use.
            Calendar::Ethiopian => from_jdn(1_724_221 + fixed_month_days(y, m, day)),
            Calendar::Coptic => from_jdn(1_825_030 + fixed_month_days(y, m, day)),
            Calendar::Julian => {
                let a = (14 - m) / 12;
                let (yy, mm) = (y + 4800 - a, m + 12 * a - 3);
                from_jdn(day + (153 * mm + 2) / 5 + 365 * yy + yy.div_euclid(4) - 32_083)
            }
            Calendar::Islamic => from_jdn(islamic_jdn(y, m, day)),
            Calendar::Nepali => NEPALI.to_iso(d)?,
            Calendar::Persian => PERSIAN.to_iso(d)?,
        })
    }

    /// The date of this calendar on the ISO date `d`. An Ethiopian date in Pagume comes back
    /// as month 13, which DHIS2 refuses (`EthiopianCalendar.fromIso`); a Nepali date outside
    /// the table is an error.
    pub fn date_of(self, d: Date) -> Result<CalendarDate, String> {
        let jdn = d.days() + 2_440_588;
        let fixed = |epoch: i64| {
            let n = jdn - epoch;
            let year = (4 * n + 1463).div_euclid(1461);
            let into_year = n - fixed_month_days(year, 1, 1);
            let month = into_year.div_euclid(30) + 1;
            let day = n - fixed_month_days(year, month, 1) + 1;
            CalendarDate {
                year: year as i32,
                month: month as u32,
                day: day as u32,
            }
        };
        Ok(match self {
            Calendar::Iso8601 | Calendar::Gregorian => CalendarDate {
                year: d.year,
                month: d.month,
                day: d.day,
            },
            Calendar::Thai => CalendarDate {
                year: d.year + 543,
                month: d.month,
                day: d.day,
            },
            Calendar::Ethiopian => fixed(1_724_221),
            Calendar::Coptic => fixed(1_825_030),
            Calendar::Julian => {
                let c = jdn + 32_082;
                let dd = (4 * c + 3).div_euclid(1461);
                let e = c - (1461 * dd).div_euclid(4);
                let m = (5 * e + 2).div_euclid(153);
                CalendarDate {
                    year: (dd - 4800 + m / 10) as i32,
                    month: (m + 3 - 12 * (m / 10)) as u32,
                    day: (e - (153 * m + 2).div_euclid(5) + 1) as u32,
                }
            }
            Calendar::Islamic => {
                let mut year = (30 * (jdn - ISLAMIC_EPOCH) + 10_646).div_euclid(10_631);
                while islamic_jdn(year + 1, 1, 1) <= jdn {
                    year += 1;
                }
                while islamic_jdn(year, 1, 1) > jdn {
                    year -= 1;
                }
                let mut month = 12;
                while islamic_jdn(year, month, 1) > jdn {
                    month -= 1;
                }
                CalendarDate {
                    year: year as i32,
                    month: month as u32,
                    day: (jdn - islamic_jdn(year, month, 1) + 1) as u32,
                }
            }
            Calendar::Nepali => NEPALI.date_of(d)?,
            Calendar::Persian => PERSIAN.date_of(d)?,
        })
    }

    /// The first day of the month `n` months after that of `d` (before it for negative `n`),
    /// by the calendar's own month arithmetic (`plusMonths`).
    pub fn plus_months(self, d: CalendarDate, n: i64) -> CalendarDate {
        let cycle = self.months_in_cycle() as i64;
        let m0 = i64::from(d.year) * cycle + i64::from(d.month) - 1 + n;
        CalendarDate {
            year: m0.div_euclid(cycle) as i32,
            month: (m0.rem_euclid(cycle) + 1) as u32,
            day: 1,
        }
    }

    /// The day before the first day of a month: the last day of the month before.
    pub fn day_before_month(self, d: CalendarDate) -> Result<CalendarDate, String> {
        let (year, month) = if d.month == 1 {
            (d.year - 1, self.months_in_cycle())
        } else {
            (d.year, d.month - 1)
        };
        Ok(CalendarDate {
            year,
            month,
            day: self.days_in_month(year, month)?,
        })
    }
}

impl Calendar {
    /// Bi-week `n` of `year` (`DateUnitPeriodTypeParser`, BI_WEEKLY): two weeks from day 1 of
    /// month 1 moved by `2n - 2` weeks with the calendar's `plusWeeks`, refused when week
    /// `2n - 1` is past `weeksInYear(year)`. Returns the ISO start and end.
    pub fn bi_week(self, year: i32, n: u32) -> Result<(Date, Date), String> {
        let week = 2 * i64::from(n) - 1;
        let weeks = self.weeks_in_year(year)?;
        if week < 1 || week > i64::from(weeks) {
            return Err(format!(
                "bi-week {n} starts in week {week}, past the {weeks} weeks DHIS2 counts in {year} of the {self} calendar"
            ));
        }
        let first = CalendarDate {
            year,
            month: 1,
            day: 1,
        };
        let start = self.plus_days(first, 7 * (week - 1))?;
        let end = self.plus_days(start, 13)?;
        Ok((self.to_iso(start)?, self.to_iso(end)?))
    }

    /// `plusDays` forward: Ethiopian counts twelve months of 30 days (Pagume is skipped,
    /// `EthiopianCalendar.plusDays`); the others count real days.
    fn plus_days(self, d: CalendarDate, n: i64) -> Result<CalendarDate, String> {
        if self == Calendar::Ethiopian {
            let k =
                i64::from(d.year) * 360 + i64::from(d.month - 1) * 30 + i64::from(d.day - 1) + n;
            return Ok(CalendarDate {
                year: k.div_euclid(360) as i32,
                month: (k.rem_euclid(360) / 30 + 1) as u32,
                day: (k.rem_euclid(30) + 1) as u32,
            });
        }
        self.date_of(self.to_iso(d)?.add_days(n))
    }

    /// `weeksInYear`: Joda's weeks of the week-year that holds day 1 of month 1 (weeks from
    /// Monday, week 1 holding the fourth day), in the calendar; Nepali and Persian ask ISO's
    /// week-year of the same number (`new DateTime(year, 1, 1, ISOChronology)`).
    fn weeks_in_year(self, year: i32) -> Result<u32, String> {
        let jan1 = |y: i32| -> Result<Date, String> {
            match self {
                Calendar::Nepali | Calendar::Persian => {
                    Date::new(y, 1, 1).ok_or_else(|| format!("no ISO year {y}"))
                }
                _ => self.to_iso(CalendarDate {
                    year: y,
                    month: 1,
                    day: 1,
                }),
            }
        };
        let week_one = |y: i32| -> Result<Date, String> {
            let d = jan1(y)?;
            let dow = d.weekday();
            Ok(if dow >= 4 {
                d.add_days(7 - dow)
            } else {
                d.add_days(-dow)
            })
        };
        let weekyear = if jan1(year)?.weekday() >= 4 {
            year - 1
        } else {
            year
        };
        Ok(((week_one(weekyear + 1)?.days() - week_one(weekyear)?.days()) / 7) as u32)
    }
}

impl fmt::Display for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A date of a calendar: year, month, day as that calendar counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// Days from 1/1/1 of a calendar of twelve 30-day months and a thirteenth of 5 (6 in years
/// ≡ 3 mod 4).
fn fixed_month_days(y: i64, m: i64, d: i64) -> i64 {
    365 * (y - 1) + y.div_euclid(4) + 30 * (m - 1) + d - 1
}

/// The Julian day number of 1 Muharram 1 AH (civil epoch: Friday 16 July 622, Julian).
const ISLAMIC_EPOCH: i64 = 1_948_440;

/// Leap years of the 30-year cycle: 2, 5, 7, 10, 13, 16, 18, 21, 24, 26, 29.
fn islamic_leap(year: i32) -> bool {
    (14 + 11 * i64::from(year)).rem_euclid(30) < 11
}

/// Days before month `m`: 30 and 29 alternating; years before `y`: 354 each and a day per leap
/// year (`(3 + 11y) / 30` of them).
fn islamic_jdn(y: i64, m: i64, d: i64) -> i64 {
    ISLAMIC_EPOCH - 1 + d + (59 * (m - 1) + 1) / 2 + 354 * (y - 1) + (3 + 11 * y).div_euclid(30)
}

fn from_jdn(jdn: i64) -> Date {
    Date::from_days(jdn - 2_440_588)
}

#[cfg(test)]
mod tests;
