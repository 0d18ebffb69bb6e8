//! Data values: DHIS2's value types and the one function, [`prepare`], that turns a value read
//! from an export into the text to write or the reason DHIS2 would refuse it
//! (docs/dhis2-rules.md, "Values"). Numbers are rewritten only for numeric types, or, when the
//! type is unknown, only when they are in the form analytics writes; text is never rewritten.

pub mod number;
pub mod text;
mod tlds;

use std::borrow::Cow;
use std::fmt;

pub use number::{canonical_number, sum_decimals};

/// DHIS2's maximum length of a data value, in Java `String.length()` units (UTF-16), from
/// `ValidationUtils.VALUE_MAX_LENGTH` (dhis2-core 2.39–2.43).
pub const MAX_VALUE_LENGTH: usize = 50_000;

/// A DHIS2 data element value type (`org.hisp.dhis.common.ValueType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    Text,
    LongText,
    MultiText,
    Letter,
    PhoneNumber,
    Email,
    Boolean,
    TrueOnly,
    Date,
    DateTime,
    Time,
    Number,
    UnitInterval,
    Percentage,
    Integer,
    IntegerPositive,
    IntegerNegative,
    IntegerZeroOrPositive,
    TrackerAssociate,
    Username,
    Coordinate,
    OrganisationUnit,
    Reference,
    Age,
    Url,
    FileResource,
    Image,
    GeoJson,
}

/// Every value type with its DHIS2 name.
const NAMES: [(ValueType, &str); 28] = {
    use ValueType::*;
    [
        (Text, "TEXT"),
        (LongText, "LONG_TEXT"),
        (MultiText, "MULTI_TEXT"),
        (Letter, "LETTER"),
        (PhoneNumber, "PHONE_NUMBER"),
        (Email, "EMAIL"),
        (Boolean, "BOOLEAN"),
        (TrueOnly, "TRUE_ONLY"),
        (Date, "DATE"),
        (DateTime, "DATETIME"),
        (Time, "TIME"),
        (Number, "NUMBER"),
        (UnitInterval, "UNIT_INTERVAL"),
        (Percentage, "PERCENTAGE"),
        (Integer, "INTEGER"),
        (IntegerPositive, "INTEGER_POSITIVE"),
        (IntegerNegative, "INTEGER_NEGATIVE"),
        (IntegerZeroOrPositive, "INTEGER_ZERO_OR_POSITIVE"),
        (TrackerAssociate, "TRACKER_ASSOCIATE"),
        (Username, "USERNAME"),
        (Coordinate, "COORDINATE"),
        (OrganisationUnit, "ORGANISATION_UNIT"),
        (Reference, "REFERENCE"),
        (Age, "AGE"),
        (Url, "URL"),
        (FileResource, "FILE_RESOURCE"),
        (Image, "IMAGE"),
        (GeoJson, "GEOJSON"),
    ]
};

/// Every DHIS2 `ValueType` name, for drop-down lists.
pub const VALUE_TYPES: [&str; 28] = {
    let mut out = [""; 28];
    let mut i = 0;
    while i < NAMES.len() {
        out[i] = NAMES[i].1;
        i += 1;
    }
    out
};

impl ValueType {
    /// Parses a DHIS2 value type name (any case). `None` for names DHIS2 does not know.
    pub fn parse(s: &str) -> Option<ValueType> {
        let s = s.trim();
        NAMES
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(s))
            .map(|&(t, _)| t)
    }

    /// The DHIS2 name (`INTEGER_ZERO_OR_POSITIVE`).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("TEXT", |(_, name)| name)
    }

    /// The types whose values are numbers: rewritten to canonical decimals.
    pub fn is_numeric(self) -> bool {
        use ValueType::*;
        matches!(
            self,
            Number
                | UnitInterval
                | Percentage
                | Integer
                | IntegerPositive
                | IntegerNegative
                | IntegerZeroOrPositive
        )
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue(pub String);

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, InvalidValue> {
    Err(InvalidValue(msg.into()))
}

/// The length DHIS2 measures: Java `String.length()`, in UTF-16 units.
pub fn java_length(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Prepares a raw value for output: empty and over-long values are refused; numbers are
/// rewritten as canonical decimals for numeric types (any Java-double form) or, when the type is
/// unknown, only in the form analytics writes; booleans are written `true`/`false`; every type's
/// DHIS2 rule is applied. Text is returned exactly as read.
pub fn prepare(
    raw: Option<&str>,
    value_type: Option<ValueType>,
) -> Result<Cow<'_, str>, InvalidValue> {
    let Some(raw) = raw else {
        return invalid("no value");
    };
    if raw.trim().is_empty() {
        return invalid("empty value");
    }
    if raw.len() > MAX_VALUE_LENGTH && java_length(raw) > MAX_VALUE_LENGTH {
        return invalid(format!(
            "value is {} characters long; DHIS2 accepts at most {MAX_VALUE_LENGTH} \
             (value_length_greater_than_max_length)",
            java_length(raw)
        ));
    }
    match value_type {
        None => unknown_type(raw),
        Some(vt) if vt.is_numeric() => numeric(raw, vt),
        Some(vt @ (ValueType::Boolean | ValueType::TrueOnly)) => boolean(raw, vt),
        Some(vt) => text_rule(raw, vt).map(|()| Cow::Borrowed(raw)),
    }
}

/// No value type known: numbers in analytics' form are rewritten, everything else is kept.
fn unknown_type(raw: &str) -> Result<Cow<'_, str>, InvalidValue> {
    if number::is_analytics_form(raw) {
        return canonical_number(raw).map_or_else(
            || {
                invalid(format!(
                    "`{raw}` is too large or too small to write as a plain decimal"
                ))
            },
            Ok,
        );
    }
    if number::is_not_a_number(raw) {
        return invalid(format!(
            "`{raw}` is not a number (a division by zero in the indicator?)"
        ));
    }
    Ok(Cow::Borrowed(raw))
}

/// A numeric type: any Java-double form is rewritten, then DHIS2's rule for the type applies
/// (`MathUtils.isNumeric`, `isInteger`, … with `IntegerValidator`'s int range).
fn numeric(raw: &str, vt: ValueType) -> Result<Cow<'_, str>, InvalidValue> {
    let Some(text) = canonical_number(raw) else {
        if number::is_not_a_number(raw) {
            return invalid(format!(
                "`{raw}` is not a number (a division by zero in the indicator?)"
            ));
        }
        if number::looks_like_huge_number(raw) {
            return invalid(format!(
                "`{raw}` is too large or too small to write as a plain decimal"
            ));
        }
        return invalid(format!(
            "`{raw}` is not numeric, but the data element is {vt} (value_not_numeric)"
        ));
    };
    let negative = text.starts_with('-');
    let fail = |rule: &str, key: &str| invalid(format!("`{text}` is not {rule} ({vt}: {key})"));
    use ValueType::*;
    match vt {
        Integer if !number::fits_int(&text) => fail(
            "a whole number from -2147483648 to 2147483647",
            "value_not_integer",
        ),
        IntegerPositive if !number::fits_int(&text) || negative || text == "0" => fail(
            "a whole number from 1 to 2147483647",
            "value_not_positive_integer",
        ),
        IntegerNegative if !number::fits_int(&text) || !negative => fail(
            "a whole number from -2147483648 to -1",
            "value_not_negative_integer",
        ),
        IntegerZeroOrPositive if !number::fits_int(&text) || negative => fail(
            "a whole number from 0 to 2147483647",
            "value_not_zero_or_positive_integer",
        ),
        Number | Percentage | UnitInterval if text.len() >= number::NUMBER_MAX_LENGTH => fail(
            "shorter than 250 characters when written as a plain decimal",
            "value_not_numeric",
        ),
        Percentage if negative || !number::le(&text, "100") => {
            fail("a percentage from 0 to 100", "value_not_percentage")
        }
        UnitInterval if negative || !number::le(&text, "1") => {
            fail("a number from 0 to 1", "value_not_unit_interval")
        }
        _ => Ok(text),
    }
}

/// BOOLEAN and TRUE_ONLY: every spelling either importer reads (≤ 2.42
/// `ValidationUtils.normalizeBoolean`: true/false/t/f/1/0 in any case; 2.43+
/// `DefaultDataEntryService.normalizeValue`: also yes/no/y/n), and analytics' `1.0`/`0.0`;
/// written `true`/`false`.
fn boolean(raw: &str, vt: ValueType) -> Result<Cow<'_, str>, InvalidValue> {
    let lower = raw.to_ascii_lowercase();
    let truth = match lower.as_str() {
        "true" | "t" | "1" | "yes" | "y" => Some(true),
        "false" | "f" | "0" | "no" | "n" => Some(false),
        _ if number::is_analytics_form(raw) => match canonical_number(raw).as_deref() {
            Some("1") => Some(true),
            Some("0") => Some(false),
            _ => None,
        },
        _ => None,
    };
    match (truth, vt) {
        (Some(true), _) => Ok(Cow::Borrowed("true")),
        (Some(false), ValueType::Boolean) => Ok(Cow::Borrowed("false")),
        (Some(false), _) => invalid(format!(
            "`{raw}`: a TRUE_ONLY data element takes only true (value_not_true_only)"
        )),
        (None, _) => invalid(format!(
            "`{raw}` is not a {vt}: DHIS2 reads true/false, t/f, 1/0, yes/no, y/n (value_not_bool)"
        )),
    }
}

/// The rule of a type whose values are kept as they are.
fn text_rule(raw: &str, vt: ValueType) -> Result<(), InvalidValue> {
    use ValueType::*;
    let (ok, rule, key) = match vt {
        Letter => (text::is_letter(raw), "one letter", "value_not_valid_letter"),
        PhoneNumber => (
            text::is_phone_number(raw),
            "6 to 50 digits, spaces and + ( ) # . / - e x t",
            "value_not_phone_number",
        ),
        Email => (
            text::is_email(raw),
            "an e-mail address",
            "value_not_valid_email",
        ),
        Date => (
            text::is_date(raw),
            "a real calendar date yyyy-MM-dd",
            "value_not_valid_date",
        ),
        Age => (
            text::is_date(raw),
            "a real calendar date yyyy-MM-dd",
            "value_not_valid_age",
        ),
        DateTime => (
            text::is_datetime(raw),
            "a date and time such as 2024-01-31T10:00:00.000",
            "value_not_valid_datetime",
        ),
        Time => (
            text::is_time(raw),
            "a time from 0:00 to 23:59",
            "value_not_valid_time",
        ),
        Username => (
            text::is_username(raw),
            "4 to 255 letters, digits and . _ - @, not starting, ending or doubling those",
            "value_not_valid_username",
        ),
        Coordinate => (
            text::is_coordinate(raw),
            "[longitude,latitude] within -180..180 and -90..90",
            "value_not_coordinate",
        ),
        Url => (
            text::is_url(raw),
            "an http, https or ftp URL",
            "value_not_url",
        ),
        OrganisationUnit => (
            crate::ids::is_uid(raw),
            "the UID of an org unit (never a number from analytics)",
            "value_not_valid_org_unit_uid",
        ),
        FileResource | Image => (
            crate::ids::is_uid(raw),
            "the UID of a stored file (never a number from analytics)",
            "value_not_valid_file_resource_uid",
        ),
        _ => (true, "", ""),
    };
    if ok {
        Ok(())
    } else {
        invalid(format!(
            "`{raw}` is not a valid {vt}: DHIS2 takes {rule} ({key})"
        ))
    }
}

#[cfg(test)]
mod tests;
