//! The serde path of the JSON reader: a `dataValue` object however it is written (escapes,
//! numbers, nesting, repeated keys), for the objects the flat fast path ([`super::flat`]) does
//! not take; and the text of a JSON scalar, which the payload keys and the metadata reader use
//! too. [`same_on_both_paths`] holds the two paths to the same fields.

use serde::Deserialize;
use serde::de;

use super::flat::Fields;
#[cfg(any(test, feature = "fuzzing"))]
use super::flat::{Shape, flat_object, flat_object_shaped};

/// One `dataValue` object (the serde path); unknown keys (`created`, `comment`, …) are skipped.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", expecting = "a dataValue object")]
pub(super) struct JsonDataValue {
    #[serde(deserialize_with = "text")]
    data_element: Option<String>,
    #[serde(deserialize_with = "text")]
    period: Option<String>,
    #[serde(deserialize_with = "text")]
    org_unit: Option<String>,
    #[serde(deserialize_with = "combo")]
    category_option_combo: Option<String>,
    #[serde(deserialize_with = "combo")]
    attribute_option_combo: Option<String>,
    #[serde(deserialize_with = "text")]
    value: Option<String>,
    #[serde(deserialize_with = "text")]
    deleted: Option<String>,
    #[serde(deserialize_with = "text")]
    comment: Option<String>,
    #[serde(deserialize_with = "text")]
    followup: Option<String>,
    #[serde(deserialize_with = "text", rename = "followUp")]
    follow_up: Option<String>,
    #[serde(deserialize_with = "text")]
    stored_by: Option<String>,
    #[serde(deserialize_with = "text")]
    last_updated: Option<String>,
}

/// A JSON string, number or boolean as text; `null` as `None`. A number is its text in the
/// file, digit for digit (`1.10`, `1E2`, `12345678901234567890123`): the one place a JSON
/// number becomes a value, for data values, payload keys and metadata alike.
pub(crate) fn text<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw: Option<Box<serde_json::value::RawValue>> = Deserialize::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(raw) => scalar_text(raw.get()).map_err(de::Error::custom),
    }
}

/// A combo id as [`text`]; an object is DHIS2 2.43's `{category: option}` form
/// (`DataEntryInput.fromJson`), which pi2de does not read: said so.
pub(super) fn combo<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw: Option<Box<serde_json::value::RawValue>> = Deserialize::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(raw) if raw.get().trim_start().starts_with('{') => Err(de::Error::custom(format!(
            "found {}: a combo written as its category options (DHIS2 2.43+); pi2de reads \
             combo ids only: export the values again with categoryOptionCombo ids",
            raw.get().trim()
        ))),
        Some(raw) => scalar_text(raw.get()).map_err(de::Error::custom),
    }
}

/// The text of one JSON scalar as written: a string unescaped, a number or boolean as it is,
/// `null` as `None`; a structure is an error.
pub(crate) fn scalar_text(raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw)
            .map(Some)
            .map_err(|e| e.to_string()),
        Some(b'n') => Ok(None),
        Some(b'-' | b'0'..=b'9' | b't' | b'f') => Ok(Some(raw.to_string())),
        _ => Err(format!("expected a string or a number, found {raw}")),
    }
}

impl JsonDataValue {
    /// The fields, as the fast path gives them (no line ends counted: the scanner counts
    /// them when it comes to the next object).
    pub(super) fn fields(&self) -> Fields<'_> {
        Fields {
            data_element: self.data_element.as_deref(),
            period: self.period.as_deref(),
            org_unit: self.org_unit.as_deref(),
            category_option_combo: self.category_option_combo.as_deref(),
            attribute_option_combo: self.attribute_option_combo.as_deref(),
            value: self.value.as_deref(),
            deleted: self.deleted.as_deref(),
            audit: [
                &self.comment,
                &self.followup,
                &self.stored_by,
                &self.last_updated,
            ]
            .map(|field| field.as_deref()),
            follow_up: self.follow_up.as_deref(),
            newlines: 0,
        }
    }
}

/// Both paths on one object: whenever the fast path parses it, the serde path must parse it
/// too and give the same fields (the fuzz target `json_paths`); and the fast path given the
/// keys of the object itself remembered ([`Shape`]) gives what it gives without them.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn same_on_both_paths(data: &[u8]) {
    same_after(&mut Shape::default(), data);
}

/// [`same_on_both_paths`] after the objects that left `shape` as it is.
#[cfg(any(test, feature = "fuzzing"))]
fn same_after(shape: &mut Shape, data: &[u8]) {
    let alone = flat_object(data);
    assert_eq!(
        flat_object_shaped(data, shape),
        alone,
        "after the objects before"
    );
    assert_eq!(flat_object_shaped(data, shape), alone, "after itself");
    let Ok((mut fast, len)) = alone else {
        return;
    };
    let parsed: JsonDataValue = match serde_json::from_slice(&data[..len]) {
        Ok(p) => p,
        Err(e) => panic!("the fast path read an object the serde path refuses: {e}"),
    };
    fast.newlines = 0;
    assert_eq!(fast, parsed.fields());
}

#[cfg(test)]
mod tests {
    use crate::fuzzing::xorshift;

    /// Generated objects (keys repeated, unknown, escaped; values of every JSON kind) on both
    /// paths: the fast path never reads what the serde path would read otherwise.
    #[test]
    fn both_paths_agree_on_generated_objects() {
        let keys = [
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "attributeOptionCombo",
            "value",
            "deleted",
            "comment",
            "followup",
            "followUp",
            "storedBy",
            "lastUpdated",
            "val\\u0075e",
            "Value",
        ];
        let values = [
            "\"A1\"",
            "\"\"",
            "null",
            "true",
            "false",
            "12",
            "1.10",
            "1E2",
            "\"a\\\"b\"",
            "\"é\"",
            "[]",
            "{}",
            "\" x \"",
            // Longer than the eight bytes scanned at a time, a stop in each lane.
            "\"Ou000000000abcdefg\"",
            "\"0123456\\\"89\"",
            "\"012345678901234\\n\"",
            "\"a\tb\"",
            "\"ab\ncd\"",
            "\"été 2024 — €\"",
        ];
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let mut fast = 0;
        let mut shape = super::Shape::default();
        for _ in 0..20_000 {
            // Mostly the keys in one order (as DHIS2 writes them), so that the shape is met;
            // sometimes any key; the colon right after the key or not.
            let ordered = next(4) != 0;
            let colons = [":", ": ", " :", "\n:"];
            let fields: Vec<String> = (0..next(7))
                .map(|n| {
                    let key = if ordered {
                        keys[n]
                    } else {
                        keys[next(keys.len())]
                    };
                    let colon = colons[if next(3) == 0 { next(colons.len()) } else { 0 }];
                    format!("\"{key}\"{colon}{}", values[next(values.len())])
                })
                .collect();
            let object = format!("{{{}}}", fields.join(","));
            fast += usize::from(super::flat_object(object.as_bytes()).is_ok());
            // One shape through all: keys that come again where they were, and where they
            // were not.
            super::same_after(&mut shape, object.as_bytes());
        }
        assert!(fast > 1_000, "the fast path took {fast} objects");
    }
}
