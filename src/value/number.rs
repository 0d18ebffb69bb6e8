//! Numbers: canonical plain decimals from any Java-double form (`12.0` → `12`, `1.0E7` →
//! `10000000`, `-0.0` → `0`), the form analytics writes (docs/dhis2-rules.md, "Values"), DHIS2's
//! numeric value-type rules, and exact sums.

use std::borrow::Cow;

/// The longest plain decimal we write for a number with a large exponent.
const MAX_DIGITS: usize = 400;

/// DHIS2's `MathUtils.NUMBER_MAX_LENGTH`: NUMBER, PERCENTAGE and UNIT_INTERVAL values must be
/// shorter than this (dhis2-core `MathUtils.isNumeric`, 2.39–2.43).
pub const NUMBER_MAX_LENGTH: usize = 250;

/// Rewrites a number in any Java-double form as a canonical plain decimal: no exponent, no `+`,
/// no leading or trailing zeros, no `-0`. Returns `None` when `s` is not a number. The result
/// borrows from `s` when it is a part of it (`12.0` → `12`), which is the common case.
pub fn canonical_number(s: &str) -> Option<Cow<'_, str>> {
    match plain_canonical(s) {
        Some(c) => Some(Cow::Borrowed(c)),
        None => general_canonical(s).map(Cow::Owned),
    }
}

/// True when `s` is written the way DHIS2 analytics writes a number: Java's `Long.toString`
/// (`12`, `-3`) or `Double.toString` (`12.0`, `0.5`, `-0.0`, `1.0E7`, `1.2345E-5`), or the plain
/// `10000000.0` of its CSV formatter. Only these are rewritten when the value type is unknown
/// (dhis2-core `AnalyticsUtils.getRoundedValue`, `OutputFormatter.maybeFormat`).
pub fn is_analytics_form(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (mantissa, exponent) = match body.iter().position(|&b| b == b'E') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
    // Double.toString writes the shortest fraction: `0`, or digits not ending in 0.
    let shortest = |f: &[u8]| digits(f) && (f == b"0" || f.last() != Some(&b'0'));
    match exponent {
        None => digits(int) && (int == b"0" || int[0] != b'0') && frac.is_none_or(shortest),
        Some(exp) => {
            let exp = exp.strip_prefix(b"-").unwrap_or(exp);
            int.len() == 1
                && int[0] != b'0'
                && int[0].is_ascii_digit()
                && frac.is_some_and(shortest)
                && digits(exp)
                && exp[0] != b'0'
        }
    }
}

/// The canonical form of `-?digits(.digits)?` (no leading zeros, no exponent) as a slice of
/// `s`; `None` for every other form.
fn plain_canonical(s: &str) -> Option<&str> {
    // One pass over the bytes (most values read take this path).
    let b = s.as_bytes();
    let sign = usize::from(b.first() == Some(&b'-'));
    let digits_from = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let int_end = digits_from(sign);
    let int = &b[sign..int_end];
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
        return None;
    }
    // The end of the canonical form: the integer part, or the last fraction digit not 0.
    let mut end = int_end;
    if int_end < b.len() {
        if b[int_end] != b'.' {
            return None;
        }
        let frac_end = digits_from(int_end + 1);
        if frac_end != b.len() {
            return None;
        }
        if let Some(last) = b[int_end + 1..].iter().rposition(|&d| d != b'0') {
            end = int_end + 2 + last;
        }
    }
    if int == b"0" && end == int_end {
        return Some("0");
    }
    s.get(..end)
}

/// Splits `-?digits(.digits)?([eE][+-]?digits)?` (after trimming, with an optional sign) into its
/// sign, integer digits, fraction digits and exponent.
fn split_number(s: &str) -> Option<(bool, &str, &str, i64)> {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = sign(b, &mut i);
    let run = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let int_end = run(i);
    let int_digits = &s[i..int_end];
    i = int_end;
    let mut frac_digits = "";
    if b.get(i) == Some(&b'.') {
        let end = run(i + 1);
        frac_digits = &s[i + 1..end];
        i = end;
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut exponent: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = sign(b, &mut i);
        let end = run(i);
        if end == i || end - i > 6 {
            return None;
        }
        exponent = s[i..end].parse().ok()?;
        if exp_negative {
            exponent = -exponent;
        }
        i = end;
    }
    (i == b.len()).then_some((negative, int_digits, frac_digits, exponent))
}

/// An optional `-` or `+` at `b[*i]`, moving past it: true for `-`.
fn sign(b: &[u8], i: &mut usize) -> bool {
    match b.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    }
}

/// The general rewrite: signs, exponents, leading zeros, surrounding blanks.
fn general_canonical(s: &str) -> Option<String> {
    let (negative, int_digits, frac_digits, exponent) = split_number(s.trim())?;
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

/// True for text that reads as a number too large or small to write as a plain decimal
/// (`1e999`), so the message can say so.
pub fn looks_like_huge_number(raw: &str) -> bool {
    let t = raw.trim();
    t.contains(['e', 'E'])
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'e' | b'E' | b'-' | b'+' | b'.'))
        && t.bytes().any(|b| b.is_ascii_digit())
}

/// `NaN`, `Infinity`, `-Infinity`: what an indicator gives on a division by zero.
pub fn is_not_a_number(raw: &str) -> bool {
    let t = raw.trim().trim_start_matches(['-', '+']);
    t == "NaN" || t == "Infinity"
}

/// True when a canonical decimal is a whole number that fits Java's `int` (DHIS2's
/// `IntegerValidator` for the four integer types).
pub fn fits_int(text: &str) -> bool {
    !text.contains('.') && text.parse::<i32>().is_ok()
}

/// `a <= b` for non-negative canonical decimals.
pub fn le(a: &str, b: &str) -> bool {
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
            let scale = u32::try_from(frac.len()).ok()?;
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

    /// The plain form as first written (split at the point, trim the zeros): the one-pass
    /// [`plain_canonical`] must agree with it on every text.
    fn plain_canonical_by_parts(s: &str) -> Option<&str> {
        let negative = s.starts_with('-');
        let body = &s[usize::from(negative)..];
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || (int.len() > 1 && int.starts_with('0'))
        {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        if int == "0" && frac.is_empty() {
            return Some("0");
        }
        let sign = usize::from(negative);
        Some(match frac.is_empty() {
            true => &s[..sign + int.len()],
            false => &s[..sign + int.len() + 1 + frac.len()],
        })
    }

    #[test]
    fn the_one_pass_plain_form_agrees_with_the_parts_on_generated_texts() {
        // Digits more often than anything else.
        let alphabet: Vec<char> = "0123456789001599..-+eE é٣:".chars().collect();
        let mut next = crate::fuzzing::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut plain = 0;
        for _ in 0..50_000 {
            let len = next(8);
            let s = crate::fuzzing::text_from(&mut next, &alphabet, len);
            let got = plain_canonical(&s);
            assert_eq!(got, plain_canonical_by_parts(&s), "{s:?}");
            plain += usize::from(got.is_some());
        }
        assert!(plain > 1_000, "{plain} plain numbers generated");
    }

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
    fn the_forms_analytics_writes() {
        for s in [
            "12",
            "-3",
            "0",
            "12.0",
            "0.5",
            "-0.0",
            "1.0E7",
            "1.2345E7",
            "-1.0E7",
            "1.0E-4",
            "12.35",
            "10000000.0",
            "0.3333333333",
            "4.9E-324",
        ] {
            assert!(is_analytics_form(s), "{s}");
        }
        for s in [
            "007",
            "0712345678",
            "+5",
            ".5",
            "5.",
            "1e3",
            "1.5e-3",
            "12.50",
            "1.0E+7",
            "10.0E7",
            "1.E7",
            "1.0E07",
            " 3",
            "3 ",
            "--1",
            "-",
            "",
            "1,5",
            "0x10",
            "NaN",
            "12a",
            "1.0E",
        ] {
            assert!(!is_analytics_form(s), "{s}");
        }
    }

    #[test]
    fn int_range_and_order() {
        assert!(fits_int("2147483647") && fits_int("-2147483648"));
        assert!(!fits_int("2147483648") && !fits_int("-2147483649") && !fits_int("1.5"));
        assert!(le("99.5", "100") && le("100", "100") && !le("100.01", "100"));
        assert!(le("0.25", "1") && !le("1.5", "1"));
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
