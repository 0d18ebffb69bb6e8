//! A calendar given by a table of month lengths per year, as DHIS2 has the Nepali and Persian
//! ones: dates to and from ISO by counting days from the table's first day.

use super::CalendarDate;
use crate::period::Date;

pub struct Table {
    pub name: &'static str,
    pub first_year: i32,
    pub months: &'static [[u8; 12]],
    /// The ISO date of the table's first day.
    pub start: Date,
}

impl Table {
    fn last_year(&self) -> i32 {
        self.first_year + self.months.len() as i32 - 1
    }

    /// The month lengths of `year`, or why the table has none.
    pub fn year(&self, year: i32) -> Result<&'static [u8; 12], String> {
        usize::try_from(year - self.first_year)
            .ok()
            .and_then(|i| self.months.get(i))
            .ok_or_else(|| {
                format!(
                    "the {} year {year} is outside DHIS2's table ({}–{})",
                    self.name,
                    self.first_year,
                    self.last_year()
                )
            })
    }

    /// The ISO date of a (checked) date of the table.
    pub fn to_iso(&self, d: CalendarDate) -> Result<Date, String> {
        let mut days = 0i64;
        for year in self.first_year..d.year {
            days += self.year(year)?.iter().map(|&n| i64::from(n)).sum::<i64>();
        }
        let months = self.year(d.year)?;
        days += months[..d.month as usize - 1]
            .iter()
            .map(|&n| i64::from(n))
            .sum::<i64>();
        Ok(self.start.add_days(days + i64::from(d.day) - 1))
    }

    /// The date of the table on the ISO date `d`.
    pub fn date_of(&self, d: Date) -> Result<CalendarDate, String> {
        let outside = || {
            format!(
                "{d} is outside DHIS2's {} table (years {}–{}, from ISO {})",
                self.name,
                self.first_year,
                self.last_year(),
                self.start
            )
        };
        let mut left = d.days() - self.start.days();
        if left < 0 {
            return Err(outside());
        }
        for (i, months) in self.months.iter().enumerate() {
            for (m, &len) in months.iter().enumerate() {
                if left < i64::from(len) {
                    return Ok(CalendarDate {
                        year: self.first_year + i as i32,
                        month: m as u32 + 1,
                        day: left as u32 + 1,
                    });
                }
                left -= i64::from(len);
            }
        }
        Err(outside())
    }
}

pub const NEPALI: Table = Table {
    name: "Nepali",
    first_year: super::nepali::FIRST_YEAR,
    months: &super::nepali::MONTHS,
    start: Date {
        year: 1943,
        month: 4,
        day: 14,
    },
};

pub const PERSIAN: Table = Table {
    name: "Persian",
    first_year: super::persian::FIRST_YEAR,
    months: &super::persian::MONTHS,
    start: Date {
        year: 1974,
        month: 3,
        day: 21,
    },
};
