//! The order of the rules, pinned: each row breaks two rules at once, and the first one in the
//! order of [`Judge::judge`] decides the reason.

use super::*;
use crate::mapping::TargetScheme;
use crate::metadata::Metadata;
use crate::preflight::entry::EntryRules;

/// A mapping workbook with an `orgUnits` sheet: PI_OK → DE_OK, PI_GONE → DE_GONE (not in the
/// metadata), PI_OFF disabled; org units OU_A → OuA, OU_B → OuB.
fn mapping(dir: &std::path::Path) -> Mapping {
    let path = dir.join("m.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let rows = [
        ["programIndicator", "dataElement", "enabled"],
        ["PI_OK", "DE_OK", "yes"],
        ["PI_GONE", "DE_GONE", "yes"],
        ["PI_OFF", "DE_OK", "no"],
    ];
    let sheet = wb.add_worksheet().set_name("mapping").expect("name");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).expect("cell");
        }
    }
    let ou = wb.add_worksheet().set_name("orgUnits").expect("name");
    for (r, row) in [["source", "target"], ["OU_A", "OuA"], ["OU_B", "OuB"]]
        .iter()
        .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            ou.write_string(r as u32, c as u16, *cell).expect("cell");
        }
    }
    wb.save(&path).expect("saved");
    Mapping::load(&path.to_string_lossy(), TargetScheme::Code).expect("a mapping")
}

/// DE_OK (INTEGER) in the monthly data set DS assigned to OuA only.
fn metadata(dir: &std::path::Path) -> Metadata {
    let path = dir.join("agg.json");
    let json = serde_json::json!({
        "categoryCombos": [{"id": "bjDvmb4bfuf", "name": "default"}],
        "dataElements": [{"id": "DeOk0000001", "code": "DE_OK", "valueType": "INTEGER", "categoryCombo": {"id": "bjDvmb4bfuf"}}],
        "dataSets": [{"id": "DsMonthly01", "code": "DS", "periodType": "Monthly", "openFuturePeriods": 12,
            "categoryCombo": {"id": "bjDvmb4bfuf"},
            "dataSetElements": [{"dataElement": {"id": "DeOk0000001"}}], "organisationUnits": [{"id": "OuA"}]}],
        "organisationUnits": [{"id": "OuA", "name": "A"}, {"id": "OuB", "name": "B"}],
    });
    std::fs::write(&path, json.to_string()).expect("written");
    Metadata::load(&path.to_string_lossy()).expect("metadata")
}

#[test]
fn the_first_rule_broken_decides_the_reason() {
    let dir = tempfile::tempdir().expect("a folder");
    let (mapping, meta) = (mapping(dir.path()), metadata(dir.path()));
    let rules = EntryRules {
        calendar: crate::period::Calendar::Iso8601,
        version: None,
        as_of: Date::parse("2024-05-15").expect("a date"),
        as_of_seconds: None,
        edit_expired: false,
        payload_data_set: false,
    };
    let hmis = crate::preflight::hmis::HmisState::default();
    let targets = Targets::new(&meta, TargetScheme::Code, false, rules, &hmis);
    let scope = Scope {
        calendar: crate::period::Calendar::Iso8601,
        window: Some(Window::parse("202401..202406").expect("a window")),
        exclude_from: Some(Date::parse("2024-05-15").expect("a date")),
    };
    let mut ids = Interner::default();
    let mut judge = Judge::new(
        &mut ids,
        Some(&mapping),
        Some(targets),
        scope,
        true,
        IdScheme::Code,
    );
    // (dataElement, period, orgUnit, value, the reason; the second rule it also breaks)
    let table = [
        ("", "202401", "OU_X", "1", Some(Reason::Incomplete)), // unmappedOrgUnit
        (
            "PI_NEW",
            "202401",
            "OU_X",
            "1",
            Some(Reason::UnmappedOrgUnit),
        ), // unmapped
        ("PI_NEW", "202413", "OU_A", "1", Some(Reason::Unmapped)), // invalidPeriod
        ("PI_OFF", "202413", "OU_A", "abc", Some(Reason::Disabled)), // invalidValue
        (
            "PI_GONE",
            "202401",
            "OU_A",
            "abc",
            Some(Reason::UnknownTarget),
        ), // invalidValue
        (
            "PI_GONE",
            "202413",
            "OU_A",
            "abc",
            Some(Reason::UnknownTarget),
        ), // invalidPeriod
        ("PI_OK", "202413", "OU_A", "abc", Some(Reason::InvalidValue)), // invalidPeriod
        (
            "PI_OK",
            "202401",
            "OU_A",
            "null",
            Some(Reason::InvalidValue),
        ), // (CSV output)
        ("PI_OK", "2024Q3", "OU_A", "1", Some(Reason::OutsidePeriod)), // wrongPeriodType
        ("PI_OK", "202405", "OU_B", "1", Some(Reason::CurrentPeriod)), // orgUnitNotAssigned
        (
            "PI_OK",
            "2024Q1",
            "OU_B",
            "1",
            Some(Reason::WrongPeriodType),
        ), // orgUnitNotAssigned
        (
            "PI_OK",
            "202402",
            "OU_B",
            "1",
            Some(Reason::OrgUnitNotAssigned),
        ),
        ("PI_OK", "202402", "OU_A", "12.0", None),
    ];
    for (de, pe, ou, value, want) in table {
        let v = DataValue {
            data_element: de,
            period: pe,
            org_unit: ou,
            value: Some(value),
            ..Default::default()
        };
        let got = judge.judge(&mut ids, &v).verdict;
        let got_reason = got.as_ref().err().map(|(r, _)| *r);
        assert_eq!(got_reason, want, "{de} {pe} {ou} {value}: {:?}", got.err());
    }
}

#[test]
fn the_key_is_known_once_the_period_is() {
    let dir = tempfile::tempdir().expect("a folder");
    let mapping = mapping(dir.path());
    let mut ids = Interner::default();
    let mut judge = Judge::new(
        &mut ids,
        Some(&mapping),
        None,
        Scope::default(),
        true,
        IdScheme::Code,
    );
    let v = DataValue {
        data_element: "PI_OK",
        period: "2024-01",
        org_unit: "OU_A",
        value: Some("null"),
        ..Default::default()
    };
    let j = judge.judge(&mut ids, &v);
    assert_eq!(j.verdict.err().map(|e| e.0), Some(Reason::InvalidValue));
    let key = j.key.expect("a valid period gives the key");
    assert_eq!(
        (
            ids.get(key.data_element),
            ids.get(key.period),
            ids.get(key.org_unit)
        ),
        ("DE_OK", "202401", "OuA")
    );
    assert_eq!(j.row, 0, "the first mapping row");
    let j = judge.judge(
        &mut ids,
        &DataValue {
            period: "202413",
            ..v
        },
    );
    assert_eq!((j.key, j.row), (None, 0), "no key without a valid period");
}

/// The rule as written before the printable-ASCII shortcut: every character looked at.
fn unsafe_value_by_chars(value: &str, csv: bool) -> Option<&'static str> {
    let control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if value.chars().any(control) {
        return unsafe_value("\u{1}", false);
    }
    if value.chars().any(xml::forbidden) {
        return unsafe_value("\u{FFFE}", false);
    }
    unsafe_value(value, csv)
}

#[test]
fn the_printable_ascii_shortcut_leaves_out_what_the_character_rules_leave_out() {
    // Every ASCII byte, DEL and C1 controls, noncharacters, letters beyond ASCII; printable
    // ASCII three times more, so that the shortcut is taken often.
    let mut alphabet: Vec<char> = (0u8..=0x7f).map(char::from).collect();
    alphabet.extend([
        '\u{85}', '\u{9f}', '\u{a0}', 'é', '\u{FFFE}', '\u{FFFF}', '\u{2028}',
    ]);
    alphabet.extend((b' '..0x7f).map(char::from).cycle().take(3 * 95));
    let mut next = crate::fuzzing::xorshift(0x2545_f491_4f6c_dd1d);
    let (mut shortcut, mut flagged) = (0, 0);
    for _ in 0..20_000 {
        let len = next(6);
        let s = crate::fuzzing::text_from(&mut next, &alphabet, len);
        for csv in [false, true] {
            let got = unsafe_value(&s, csv);
            assert_eq!(got, unsafe_value_by_chars(&s, csv), "{s:?} csv {csv}");
            flagged += usize::from(got.is_some());
        }
        shortcut += usize::from(printable_ascii(&s));
        let id_bad = s.chars().any(|c| c.is_control() || xml::forbidden(c));
        assert!(!(printable_ascii(&s) && id_bad), "{s:?}");
    }
    assert!(shortcut > 2_000 && flagged > 2_000, "{shortcut} {flagged}");
}
