//! Data values: canonical plain decimals from any Java-double form (`12.0` → `12`, `1.0E7` →
//! `10000000`, `-0.0` → `0`) and the checks of DHIS2 value types (dhis2-formats §1.5, §5.3).

use std::borrow::Cow;
use std::fmt;

/// DHIS2's maximum length of a data value (dhis2-formats §5.3).
pub const MAX_VALUE_LENGTH: usize = 50_000;

/// The longest plain decimal we write for a number with a large exponent.
const MAX_DIGITS: usize = 400;

/// A DHIS2 data element value type. Types that pi2de does not check are `Unchecked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Number,
    Integer,
    IntegerPositive,
    IntegerNegative,
    IntegerZeroOrPositive,
    Percentage,
    UnitInterval,
    Boolean,
    TrueOnly,
    /// A known DHIS2 type with no numeric rule (TEXT, DATE, …): values pass through.
    Unchecked,
}

/// Every DHIS2 `ValueType` name.
pub const VALUE_TYPES: &[&str] = &[
    "TEXT",
    "LONG_TEXT",
    "MULTI_TEXT",
    "LETTER",
    "PHONE_NUMBER",
    "EMAIL",
    "BOOLEAN",
    "TRUE_ONLY",
    "DATE",
    "DATETIME",
    "TIME",
    "NUMBER",
    "UNIT_INTERVAL",
    "PERCENTAGE",
    "INTEGER",
    "INTEGER_POSITIVE",
    "INTEGER_NEGATIVE",
    "INTEGER_ZERO_OR_POSITIVE",
    "TRACKER_ASSOCIATE",
    "USERNAME",
    "COORDINATE",
    "ORGANISATION_UNIT",
    "REFERENCE",
    "AGE",
    "URL",
    "FILE_RESOURCE",
    "IMAGE",
    "GEOJSON",
];

impl ValueType {
    /// Parses a DHIS2 value type name (any case). `None` for names DHIS2 does not know.
    pub fn parse(s: &str) -> Option<ValueType> {
        let upper = s.trim().to_ascii_uppercase();
        Some(match upper.as_str() {
            "NUMBER" => ValueType::Number,
            "INTEGER" => ValueType::Integer,
            "INTEGER_POSITIVE" => ValueType::IntegerPositive,
            "INTEGER_NEGATIVE" => ValueType::IntegerNegative,
            "INTEGER_ZERO_OR_POSITIVE" => ValueType::IntegerZeroOrPositive,
            "PERCENTAGE" => ValueType::Percentage,
            "UNIT_INTERVAL" => ValueType::UnitInterval,
            "BOOLEAN" => ValueType::Boolean,
            "TRUE_ONLY" => ValueType::TrueOnly,
            other if VALUE_TYPES.contains(&other) => ValueType::Unchecked,
            _ => return None,
        })
    }

    fn is_numeric(self) -> bool {
        !matches!(
            self,
            ValueType::Boolean | ValueType::TrueOnly | ValueType::Unchecked
        )
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

/// A value ready to write: `numeric` tells whether it is a canonical decimal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<'a> {
    pub text: Cow<'a, str>,
    pub numeric: bool,
}

/// Rewrites a number in any Java-double form as a canonical plain decimal: no exponent, no `+`,
/// no leading or trailing zeros, no `-0`. Returns `None` when `s` is not a number. The result
/// borrows from `s` when it is a part of it (`12.0` → `12`), which is the common case.
pub fn canonical_number(s: &str) -> Option<Cow<'_, str>> {
    match plain_canonical(s) {
        Some(c) => Some(Cow::Borrowed(c)),
        None => general_canonical(s).map(Cow::Owned),
    }
}

/// The canonical form of `-?digits(.digits)?` (no leading zeros, no exponent) as a slice of
/// `s`; `None` for every other form.
fn plain_canonical(s: &str) -> Option<&str> {
    let negative = s.starts_with('-');
    let body = &s[usize::from(negative)..];
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (int.len() > 1 && int.starts_with('0')) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if int == "0" && frac.is_empty() {
        return Some("0");
    }
    let sign = usize::from(negative);
    Some(if frac.is_empty() {
        &s[..sign + int.len()]
    } else {
        &s[..sign + int.len() + 1 + frac.len()]
    })
}

/// The general rewrite: signs, exponents, leading zeros, surrounding blanks.
fn general_canonical(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &s[int_start..i];
    let mut frac_digits = "";
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = &s[start..i];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut exponent: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i || i - start > 6 {
            return None;
        }
        exponent = s[start..i].parse().ok()?;
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != b.len() {
        return None;
    }
    // All significant digits and the position of the decimal point within them.
    let digits: Vec<u8> = int_digits.bytes().chain(frac_digits.bytes()).collect();
    let mut point = int_digits.len() as i64 + exponent;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    let digits = &digits[lead..];
    point -= lead as i64;
    let trail = digits.iter().rev().take_while(|&&d| d == b'0').count();
    let digits = &digits[..digits.len() - trail];
    if digits.is_empty() {
        return Some("0".to_string());
    }
    let width = if point <= 0 {
        digits.len() as i64 - point + 2
    } else {
        point.max(digits.len() as i64) + 1
    };
    if width > MAX_DIGITS as i64 {
        return None;
    }
    let mut out = String::with_capacity(width as usize + 1);
    if negative {
        out.push('-');
    }
    let digits = std::str::from_utf8(digits).ok()?;
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(digits);
    } else if point as usize >= digits.len() {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    Some(out)
}

const TRUE_VARIANTS: &[&str] = &["true", "True", "TRUE", "t", "T", "1"];
const FALSE_VARIANTS: &[&str] = &["false", "False", "FALSE", "f", "F", "0"];

/// Prepares a raw value for output: empty values are refused, numbers are canonicalised, and
/// the value type's rule (when known) is applied. `NaN` and `Infinity` are refused: they are what
/// an indicator gives on a division by zero and are never importable numbers.
pub fn prepare(
    raw: Option<&str>,
    value_type: Option<ValueType>,
) -> Result<Value<'_>, InvalidValue> {
    let Some(raw) = raw else {
        return invalid("no value");
    };
    if raw.trim().is_empty() {
        return invalid("empty value");
    }
    if raw.len() > MAX_VALUE_LENGTH {
        return invalid(format!(
            "value is {} characters long; DHIS2 accepts at most {MAX_VALUE_LENGTH}",
            raw.len()
        ));
    }
    let number = canonical_number(raw);
    if number.is_none() {
        let t = raw.trim().trim_start_matches(['-', '+']);
        if t == "NaN" || t == "Infinity" {
            return invalid(format!(
                "`{raw}` is not a number (a division by zero in the indicator?)"
            ));
        }
        if looks_like_huge_number(raw) {
            return invalid(format!(
                "`{raw}` is too large or too small to write as a plain decimal"
            ));
        }
    }
    let Some(vt) = value_type else {
        return Ok(match number {
            Some(text) => Value {
                text,
                numeric: true,
            },
            None => Value {
                text: Cow::Borrowed(raw),
                numeric: false,
            },
        });
    };
    if vt.is_numeric() {
        let Some(text) = number else {
            return invalid(format!(
                "`{raw}` is not numeric, but the data element is {vt:?}"
            ));
        };
        check_number(&text, vt)?;
        return Ok(Value {
            text,
            numeric: true,
        });
    }
    match vt {
        ValueType::Boolean | ValueType::TrueOnly => {
            let t = raw.trim();
            let truth = if TRUE_VARIANTS.contains(&t) || number.as_deref() == Some("1") {
                true
            } else if FALSE_VARIANTS.contains(&t) || number.as_deref() == Some("0") {
                false
            } else {
                return invalid(format!("`{raw}` is not a boolean"));
            };
            if vt == ValueType::TrueOnly && !truth {
                return invalid(format!("`{raw}`: a TRUE_ONLY data element takes only true"));
            }
            Ok(Value {
                text: Cow::Borrowed(if truth { "true" } else { "false" }),
                numeric: false,
            })
        }
        _ => Ok(match number {
            Some(text) => Value {
                text,
                numeric: true,
            },
            None => Value {
                text: Cow::Borrowed(raw),
                numeric: false,
            },
        }),
    }
}

fn looks_like_huge_number(raw: &str) -> bool {
    let t = raw.trim();
    t.contains(['e', 'E'])
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'e' | b'E' | b'-' | b'+' | b'.'))
        && t.bytes().any(|b| b.is_ascii_digit())
}

fn check_number(text: &str, vt: ValueType) -> Result<(), InvalidValue> {
    let integral = !text.contains('.');
    let negative = text.starts_with('-');
    let zero = text == "0";
    let name = format!("{vt:?}");
    let fail = |what: &str| invalid(format!("`{text}` is not {what} ({name})"));
    match vt {
        ValueType::Integer if !integral => fail("an integer"),
        ValueType::Integer if text.parse::<i32>().is_err() => fail("an integer that fits 32 bits"),
        ValueType::IntegerPositive if !integral || negative || zero => fail("a positive integer"),
        ValueType::IntegerNegative if !integral || !negative => fail("a negative integer"),
        ValueType::IntegerZeroOrPositive if !integral || negative => {
            fail("a zero or positive integer")
        }
        ValueType::Percentage if negative || !le(text, "100") => fail("a percentage (0–100)"),
        ValueType::UnitInterval if negative || !le(text, "1") => fail("within 0–1"),
        _ => Ok(()),
    }
}

/// `a <= b` for non-negative canonical decimals.
fn le(a: &str, b: &str) -> bool {
    let int = |s: &str| s.split('.').next().unwrap_or("").len();
    match int(a).cmp(&int(b)) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => {
            let (ai, af) = a.split_once('.').unwrap_or((a, ""));
            let (bi, bf) = b.split_once('.').unwrap_or((b, ""));
            (ai, af) <= (bi, bf)
        }
    }
}

/// Adds canonical decimals exactly. `None` when one is not a number or the sum overflows.
pub fn sum_decimals<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let parsed: Vec<(i128, u32)> = values
        .into_iter()
        .map(|v| {
            let (int, frac) = v.split_once('.').unwrap_or((v, ""));
            let scale = frac.len() as u32;
            let digits = format!("{int}{frac}");
            digits.parse::<i128>().ok().map(|m| (m, scale))
        })
        .collect::<Option<_>>()?;
    let scale = parsed.iter().map(|p| p.1).max().unwrap_or(0);
    let mut total: i128 = 0;
    for (m, s) in parsed {
        let m = m.checked_mul(10i128.checked_pow(scale - s)?)?;
        total = total.checked_add(m)?;
    }
    let negative = total < 0;
    let digits = total.unsigned_abs().to_string();
    let text = if scale == 0 {
        digits
    } else {
        let digits = format!("{digits:0>width$}", width = scale as usize + 1);
        let (i, f) = digits.split_at(digits.len() - scale as usize);
        format!("{i}.{f}")
    };
    let text = canonical_number(&text)?.into_owned();
    Some(if negative && text != "0" {
        format!("-{text}")
    } else {
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_forms_become_plain_decimals() {
        for (input, want) in [
            ("12.0", "12"),
            ("12", "12"),
            ("1.0E7", "10000000"),
            ("1.2345E7", "12345000"),
            ("-1.0E7", "-10000000"),
            ("-0.0", "0"),
            ("0.0", "0"),
            ("-0", "0"),
            ("1.5e-3", "0.0015"),
            ("1.0E-4", "0.0001"),
            ("12.350", "12.35"),
            ("+5", "5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("007", "7"),
            ("0.3333333333", "0.3333333333"),
            (" 3 ", "3"),
            ("10000000.0", "10000000"),
        ] {
            assert_eq!(canonical_number(input).as_deref(), Some(want), "{input}");
        }
    }

    #[test]
    fn non_numbers_are_not_numbers() {
        for input in [
            "",
            "-",
            ".",
            "abc",
            "12a",
            "1e",
            "1e+",
            "1.2.3",
            "0x10",
            "NaN",
            "Infinity",
            "1 2",
            "1e1000000",
        ] {
            assert_eq!(canonical_number(input), None, "{input}");
        }
    }

    #[test]
    fn huge_exponents_are_bounded() {
        assert_eq!(canonical_number("1e500"), None);
        assert!(canonical_number("1.7976931348623157E308").is_some());
        assert!(
            canonical_number("4.9E-324").is_some(),
            "the smallest double still fits"
        );
        assert_eq!(canonical_number("1e-500"), None, "beyond the digit bound");
    }

    #[test]
    fn the_fast_path_borrows_and_agrees_with_the_general_one() {
        for input in [
            "12.0",
            "12",
            "-4.0",
            "-0.0",
            "0",
            "0.50",
            "100.000",
            "7.25",
            "-0.5",
            "3.",
            "10000000.0",
        ] {
            let fast =
                plain_canonical(input).unwrap_or_else(|| panic!("{input} takes the fast path"));
            assert_eq!(Some(fast.to_string()), general_canonical(input), "{input}");
            assert!(matches!(canonical_number(input), Some(Cow::Borrowed(_))));
        }
        for input in ["007", "+5", ".5", "1e3", " 3", "-", "", "1.2.3", "-.5"] {
            assert_eq!(
                plain_canonical(input),
                None,
                "{input} takes the general path"
            );
        }
    }

    #[test]
    fn prepare_without_type_passes_text_through() {
        assert_eq!(prepare(Some("12.0"), None).unwrap().text, "12");
        let v = prepare(Some("Positive"), None).unwrap();
        assert_eq!((&*v.text, v.numeric), ("Positive", false));
        assert!(prepare(None, None).is_err());
        assert!(prepare(Some(""), None).is_err());
        assert!(prepare(Some("  "), None).is_err());
        assert!(prepare(Some("NaN"), None).is_err());
        assert!(prepare(Some("-Infinity"), None).is_err());
        assert!(prepare(Some("1e999"), None).is_err());
        assert!(prepare(Some(&"9".repeat(MAX_VALUE_LENGTH + 1)), None).is_err());
    }

    #[test]
    fn integer_family() {
        let it = Some(ValueType::Integer);
        assert_eq!(prepare(Some("12.0"), it).unwrap().text, "12");
        assert!(prepare(Some("12.5"), it).is_err());
        assert!(prepare(Some("-3.0"), it).is_ok());
        assert!(prepare(Some("3000000000"), it).is_err(), "beyond an int");
        let zp = Some(ValueType::IntegerZeroOrPositive);
        assert!(prepare(Some("0.0"), zp).is_ok());
        assert!(prepare(Some("-0.0"), zp).is_ok(), "-0 is 0");
        assert!(prepare(Some("-1"), zp).is_err());
        let pos = Some(ValueType::IntegerPositive);
        assert!(prepare(Some("0"), pos).is_err());
        assert!(prepare(Some("1.0E7"), pos).is_ok());
        let neg = Some(ValueType::IntegerNegative);
        assert!(prepare(Some("-2.0"), neg).is_ok());
        assert!(prepare(Some("0"), neg).is_err());
        assert!(prepare(Some("abc"), it).is_err());
    }

    #[test]
    fn bounded_types() {
        let pct = Some(ValueType::Percentage);
        assert!(prepare(Some("100.0"), pct).is_ok());
        assert!(prepare(Some("99.5"), pct).is_ok());
        assert!(prepare(Some("100.01"), pct).is_err());
        assert!(prepare(Some("-1"), pct).is_err());
        let unit = Some(ValueType::UnitInterval);
        assert!(prepare(Some("0.25"), unit).is_ok());
        assert!(prepare(Some("1.0"), unit).is_ok());
        assert!(prepare(Some("1.5"), unit).is_err());
        assert!(prepare(Some("1.5E1"), Some(ValueType::Number)).is_ok());
    }

    #[test]
    fn booleans() {
        let b = Some(ValueType::Boolean);
        assert_eq!(prepare(Some("1.0"), b).unwrap().text, "true");
        assert_eq!(prepare(Some("F"), b).unwrap().text, "false");
        assert!(prepare(Some("yes"), b).is_err());
        assert!(prepare(Some("0"), Some(ValueType::TrueOnly)).is_err());
        assert_eq!(
            prepare(Some("True"), Some(ValueType::TrueOnly))
                .unwrap()
                .text,
            "true"
        );
    }

    #[test]
    fn value_type_names() {
        assert_eq!(
            ValueType::parse("integer_zero_or_positive"),
            Some(ValueType::IntegerZeroOrPositive)
        );
        assert_eq!(ValueType::parse("TEXT"), Some(ValueType::Unchecked));
        assert_eq!(ValueType::parse("INTEGR"), None);
    }

    #[test]
    fn exact_sums() {
        assert_eq!(sum_decimals(["1", "2"]).as_deref(), Some("3"));
        assert_eq!(sum_decimals(["0.1", "0.2"]).as_deref(), Some("0.3"));
        assert_eq!(sum_decimals(["-1.5", "1.5"]).as_deref(), Some("0"));
        assert_eq!(sum_decimals(["-1.25", "0.5"]).as_deref(), Some("-0.75"));
        assert_eq!(
            sum_decimals(["10000000", "0.001"]).as_deref(),
            Some("10000000.001")
        );
        assert_eq!(sum_decimals(["abc", "1"]), None);
    }
}
