//! Whether a data set takes a period on the import date (dhis2-core 2.43.1
//! `DefaultDataEntryService.validateEntryTimeliness`; ≤ 2.42 `DataValueSetImportValidator`):
//! its data input periods, expiry days and open future periods, each rule with the text that
//! says why it closes the period. [`super::Entry`] keeps the outcome per data set and period.

use rustc_hash::FxHashMap;

use super::{EntryRules, PeriodFacts};
use crate::metadata::{DataSet, Moment};
use crate::period::{Calendar, Date, calendar};

/// Why a data set does not take a period on the import date.
#[derive(Debug, Clone, Default)]
pub(super) struct Closed {
    /// Expiry days passed (E8030 / E7640).
    pub expired: Option<String>,
    /// After the latest open future period (E8030 / E7641).
    pub future: Option<String>,
    /// No data input period opens it (E8030 / E7643).
    pub input: Option<String>,
}

/// A data input period: its opening and closing moments (either may be open).
pub(super) type Span = (Option<Moment>, Option<Moment>);

/// How data set `set` (with its input periods by period id) treats period `p` on the import date.
pub(super) fn judge(
    set: &DataSet,
    inputs: &FxHashMap<String, Vec<Span>>,
    p: &PeriodFacts,
    rules: &EntryRules,
) -> Closed {
    let name = crate::metadata::id_for(&set.id, &set.code, true).to_string();
    let mut c = Closed::default();
    if !inputs.is_empty() {
        c.input = input_closed(inputs.get(p.id), &name, p, rules);
    }
    // 2.43 applies expiry days and future periods only without input periods; ≤ 2.42 always.
    if inputs.is_empty() || rules.classic() {
        if !rules.edit_expired {
            c.expired = expired(set, &name, p, rules);
        }
        // ≤ 2.42 skips the future-period check only with force as a superuser.
        if !rules.edit_expired || rules.classic() {
            c.future = after_future_periods(set, &name, p, rules.as_of, rules.calendar);
        }
    }
    c
}

/// The input periods of a data set do not open `p` on the import date. 2.43 compares the moment
/// of import with the opening and closing moments (a closing date at midnight closes the period
/// as that day begins); ≤ 2.42 compares days, both inclusive (`DataInputPeriod
/// .isDateWithinOpenCloseDates`).
pub(super) fn input_closed(
    ranges: Option<&Vec<Span>>,
    name: &str,
    p: &PeriodFacts,
    rules: &EntryRules,
) -> Option<String> {
    let Some(ranges) = ranges else {
        return Some(format!(
            "data set {name} takes data only in its data input periods, and {} is not one of them (DHIS2: E8030, ≤ 2.42 E7643)",
            p.id
        ));
    };
    let d = rules.as_of;
    let open = ranges.iter().any(|(from, to)| {
        let opened = from.is_none_or(|m| m.date <= d);
        let not_closed = to.is_none_or(|m| {
            if rules.classic() || !m.midnight {
                d <= m.date
            } else {
                d < m.date
            }
        });
        opened && not_closed
    });
    let show = |m: &Option<Moment>| m.map_or("…".to_string(), |m| m.date.to_string());
    (!open).then(|| {
        let spans: Vec<String> = ranges.iter().map(|(a, b)| format!("{} .. {}", show(a), show(b))).collect();
        format!(
            "data set {name} takes data for {} only from {}, not on {d} (DHIS2: E8030, ≤ 2.42 E7643)",
            p.id,
            spans.join(", ")
        )
    })
}

/// Expiry days: data is taken until `expiryDays` days after the period ends; 0 or less means no
/// limit. 2.43 truncates the days (`HibernateDataEntryStore.getDataSetExpiryDays`: `intValue()`,
/// so 0.5 is no limit) and closes at midnight (`validateEntryTimeliness`); ≤ 2.42 counts the
/// fraction from the midnight after the period (`DataSet.isLocked`, `addDays(Date, double)`).
/// Without a time of day the import is judged by the whole day: closed when the limit falls
/// within it.
pub(super) fn expired(
    ds: &DataSet,
    name: &str,
    p: &PeriodFacts,
    rules: &EntryRules,
) -> Option<String> {
    let as_of = rules.as_of;
    let exact = if rules.classic() {
        ds.expiry_days
    } else {
        ds.expiry_days.trunc()
    };
    if exact.is_nan() || exact <= 0.0 {
        return None;
    }
    // Days since 1970 (with fractions): the limit, and the moment of the import.
    let limit = (p.end.days() + 1) as f64 + exact;
    let now = as_of.days() as f64 + rules.as_of_seconds.map_or(1.0, |s| f64::from(s) / 86_400.0);
    if now <= limit {
        return None;
    }
    let whole = exact.fract() == 0.0;
    let until = if whole {
        p.end.add_days(exact as i64).to_string()
    } else {
        let at = ((limit.fract()) * 1440.0).round() as i64;
        format!(
            "{} {:02}:{:02}",
            Date::from_days(limit.floor() as i64),
            at / 60,
            at % 60
        )
    };
    let days = if whole {
        format!("{exact}")
    } else {
        format!(
            "{exact} (≤ 2.42 counts the fraction; 2.43 reads it as {})",
            exact.trunc()
        )
    };
    let on = match rules.as_of_seconds {
        Some(s) => format!("{as_of} {:02}:{:02}", s / 3600, s / 60 % 60),
        None => as_of.to_string(),
    };
    Some(format!(
        "{} ended on {}; data set {name} takes data for {days} days after a period ends, so until {until}, not on {on} (DHIS2: E8030, ≤ 2.42 E7640)",
        p.id, p.end
    ))
}

/// Future periods: the latest period open is the current one moved by `openFuturePeriods - 1`
/// (`PeriodType.getFuturePeriod`: "0 open periods implies current period is locked").
pub(super) fn after_future_periods(
    ds: &DataSet,
    name: &str,
    p: &PeriodFacts,
    as_of: Date,
    cal: Calendar,
) -> Option<String> {
    let current = calendar::holding(cal, p.period_type, as_of)?;
    let latest = calendar::shift(cal, &current, ds.open_future_periods - 1)?;
    (p.end > latest.end).then(|| {
        format!(
            "{} is after {}, the latest period data set {name} takes on {as_of} (openFuturePeriods {}) (DHIS2: E8030, ≤ 2.42 E7641)",
            p.id, latest.id, ds.open_future_periods
        )
    })
}
