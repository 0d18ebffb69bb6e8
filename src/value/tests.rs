//! The value rules against DHIS2's own: `cases.tsv` holds the inputs of dhis2-core's unit tests
//! and the edge cases of docs/dhis2-rules.md, with what DHIS2's own code says of the value pi2de
//! writes (see the file's header for how the column was computed).

use super::*;

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn every_case_is_judged_as_dhis2_judges_it() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in include_str!("cases.tsv").lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let cols: Vec<String> = line.split('\t').map(unescape).collect();
        let [vt, input, expected, _dhis2] = cols.as_slice() else {
            panic!("bad case line: {line:?}");
        };
        let value_type = match vt.as_str() {
            "-" => None,
            name => Some(ValueType::parse(name).unwrap_or_else(|| panic!("type {name}"))),
        };
        let got = match prepare(Some(input), value_type) {
            Ok(text) => format!("ok:{text}"),
            Err(_) => "invalid".to_string(),
        };
        if &got != expected {
            failures.push(format!("{vt} {input:?}: expected {expected}, got {got}"));
        }
        checked += 1;
    }
    assert!(checked >= 150, "only {checked} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_is_never_rewritten() {
    for vt in ["TEXT", "LONG_TEXT", "PHONE_NUMBER", "USERNAME"] {
        let vt = ValueType::parse(vt);
        for s in ["0712345678", "007x", "12.50"] {
            if let Ok(v) = prepare(Some(s), vt) {
                assert_eq!(v, s);
            }
        }
    }
    assert_eq!(
        prepare(Some("007"), ValueType::parse("TEXT")).unwrap(),
        "007"
    );
    assert_eq!(
        prepare(Some("1.0E7"), ValueType::parse("TEXT")).unwrap(),
        "1.0E7"
    );
}

#[test]
fn lengths_are_counted_in_utf16_units() {
    let emoji = "😀".repeat(25_000); // 100,000 bytes, 50,000 UTF-16 units
    assert!(prepare(Some(&emoji), ValueType::parse("TEXT")).is_ok());
    let over = "😀".repeat(25_001);
    let err = prepare(Some(&over), ValueType::parse("TEXT")).unwrap_err();
    assert!(err.0.contains("50002 characters"), "{err}");
    assert!(prepare(Some(&"a".repeat(50_000)), None).is_ok());
    assert!(prepare(Some(&"a".repeat(50_001)), None).is_err());
}

#[test]
fn empty_and_missing_values_are_refused() {
    for vt in [None, ValueType::parse("TEXT"), ValueType::parse("NUMBER")] {
        assert!(prepare(None, vt).is_err());
        assert!(prepare(Some(""), vt).is_err());
        assert!(prepare(Some("  "), vt).is_err());
    }
}

#[test]
fn details_name_the_type_and_the_rule() {
    let err = prepare(Some("2024-02-30"), ValueType::parse("DATE")).unwrap_err();
    assert!(
        err.0.contains("DATE") && err.0.contains("value_not_valid_date"),
        "{err}"
    );
    let err = prepare(Some("2147483648"), ValueType::parse("INTEGER_POSITIVE")).unwrap_err();
    assert!(
        err.0.contains("INTEGER_POSITIVE") && err.0.contains("2147483647"),
        "{err}"
    );
}

#[test]
fn value_type_names() {
    assert_eq!(
        ValueType::parse("integer_zero_or_positive"),
        Some(ValueType::IntegerZeroOrPositive)
    );
    assert_eq!(ValueType::parse("TEXT"), Some(ValueType::Text));
    assert_eq!(ValueType::parse("INTEGR"), None);
    for name in VALUE_TYPES {
        assert_eq!(ValueType::parse(name).map(ValueType::name), Some(name));
    }
}
