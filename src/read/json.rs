//! The JSON reader: `{"dataValues":[{…}]}` streamed value by value through serde, with the
//! payload keys (`dataSet`, `period`, `orgUnit`, `attributeOptionCombo`, id schemes) honoured
//! as defaults wherever they appear.

use std::fmt;
use std::io::BufRead;

use anyhow::{Result, anyhow};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{ReadOutcome, Sink};
use crate::model::{DataValue, Header, Place};

/// One `dataValue` object; unknown keys (`created`, `comment`, `followup`, …) are skipped.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", expecting = "a dataValue object")]
struct JsonDataValue {
    #[serde(deserialize_with = "text")]
    data_element: Option<String>,
    #[serde(deserialize_with = "text")]
    period: Option<String>,
    #[serde(deserialize_with = "text")]
    org_unit: Option<String>,
    #[serde(deserialize_with = "text")]
    category_option_combo: Option<String>,
    #[serde(deserialize_with = "text")]
    attribute_option_combo: Option<String>,
    #[serde(deserialize_with = "text")]
    value: Option<String>,
}

/// A JSON string, number or boolean as text; `null` as `None`.
pub(crate) fn text<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Text)
}

/// Reading state shared by the visitors.
struct Ctx<'a> {
    header: Header,
    sink: &'a mut dyn Sink,
    values: u64,
    saw_data_values: bool,
    /// Values passed on without period / orgUnit / attributeOptionCombo.
    lacking: [bool; 3],
    late_defaults: bool,
    /// The sink's error, kept here while serde unwinds.
    sink_error: Option<anyhow::Error>,
}

impl Ctx<'_> {
    fn emit(&mut self, row: JsonDataValue) -> Result<()> {
        self.values += 1;
        fn s(o: &Option<String>) -> &str {
            o.as_deref().unwrap_or("")
        }
        let mut v = DataValue {
            data_element: s(&row.data_element),
            period: s(&row.period),
            org_unit: s(&row.org_unit),
            category_option_combo: s(&row.category_option_combo),
            attribute_option_combo: s(&row.attribute_option_combo),
            value: row.value.as_deref(),
            place: Place {
                record: self.values,
                line: None,
            },
        };
        self.header.apply(&mut v);
        for (lack, field) in
            self.lacking
                .iter_mut()
                .zip([v.period, v.org_unit, v.attribute_option_combo])
        {
            *lack |= field.is_empty();
        }
        self.sink.data_value(v)
    }
}

struct TopLevel<'c, 'a>(&'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dataValueSet object: {\"dataValues\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "dataValues" {
                self.0.saw_data_values = true;
                map.next_value_seed(Values(&mut *self.0))?;
                continue;
            }
            let field = match key.as_str() {
                "period" => Some(0),
                "orgUnit" => Some(1),
                "attributeOptionCombo" => Some(2),
                _ => None,
            };
            let is_header = Header::default().set(&key, String::new());
            if !is_header {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value_seed(TextSeed)?;
            if let Some(value) = value {
                if let Some(i) = field {
                    // A default arriving after values that lacked it: read again.
                    let known = match i {
                        0 => &self.0.header.period,
                        1 => &self.0.header.org_unit,
                        _ => &self.0.header.attribute_option_combo,
                    };
                    if self.0.lacking[i] && known.as_deref() != Some(value.as_str()) {
                        self.0.late_defaults = true;
                    }
                }
                self.0.header.set(&key, value);
            }
        }
        Ok(())
    }
}

struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        text(d)
    }
}

struct Values<'c, 'a>(&'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for Values<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Values<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`dataValues` to be an array of dataValue objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<JsonDataValue>()? {
            if let Err(e) = self.0.emit(row) {
                self.0.sink_error = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Streams the data values of a JSON dataValueSet into `sink`. `hint` holds payload defaults
/// already known (from an earlier pass over the same file).
pub fn read(
    reader: &mut dyn BufRead,
    path: &str,
    hint: &Header,
    sink: &mut dyn Sink,
) -> Result<ReadOutcome> {
    let mut ctx = Ctx {
        header: hint.clone(),
        sink,
        values: 0,
        saw_data_values: false,
        lacking: [false; 3],
        late_defaults: false,
        sink_error: None,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = TopLevel(&mut ctx)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(e) = ctx.sink_error.take() {
        return Err(e);
    }
    parsed.map_err(|e| json_error(path, &e))?;
    if !ctx.saw_data_values {
        return Err(anyhow!(
            "{path}: this JSON has no `dataValues` array; is it a dataValueSet export \
             (/api/analytics/dataValueSet.json)?"
        ));
    }
    Ok(ReadOutcome {
        header: ctx.header,
        values: ctx.values,
        late_defaults: ctx.late_defaults,
    })
}

/// A serde_json error as `path: line L, column C: what`, with a hint for truncated files.
fn json_error(path: &str, e: &serde_json::Error) -> anyhow::Error {
    let text = e.to_string();
    let what = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(what, _)| what);
    let hint = match e.classify() {
        serde_json::error::Category::Eof => " (the file ends early: is it truncated?)",
        serde_json::error::Category::Io => " (the file could not be read to its end)",
        _ => "",
    };
    anyhow!(
        "{path}: line {}, column {}: invalid JSON: {what}{hint}",
        e.line(),
        e.column()
    )
}
