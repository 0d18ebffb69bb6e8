//! Entry points for the fuzz targets (`fuzz/`, built with the `fuzzing` feature) and for
//! replaying their findings in `cargo test` (`tests/fuzz-regressions/`): each takes arbitrary
//! bytes and must return without panicking.

use std::io::Write;

use crate::ids::{DataSetId, IdScheme};
use crate::mapping::{Mapping, TargetScheme};
use crate::model::Format;
use crate::model::{DataValue, Header};
use crate::read::{self, Sink};
use crate::value::{self, ValueType};
use crate::write::{OutputValue, Schemes};

/// A generator of numbers below `n` (xorshift), the same from the same seed: for the tests
/// that generate their inputs, so that a failing case can be run again.
pub fn xorshift(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

/// A text of `len` characters drawn from `alphabet` by `next` (a character listed twice comes
/// twice as often).
pub fn text_from(next: &mut impl FnMut(usize) -> usize, alphabet: &[char], len: usize) -> String {
    (0..len).map(|_| alphabet[next(alphabet.len())]).collect()
}

/// A sink that looks at every value and keeps nothing.
struct Discard;

impl Sink for Discard {
    fn begin_input(&mut self, _: usize, _: &str) {}
    fn data_value(&mut self, v: DataValue<'_>) -> anyhow::Result<()> {
        std::hint::black_box(v);
        Ok(())
    }
}

pub fn read_json(data: &[u8]) {
    let _ = read::json::read(
        &mut &data[..],
        "fuzz.json",
        &Header::default(),
        &mut Discard,
    );
}

/// The JSON reader's fast path and its serde path on one object: the same values, or both
/// refuse it.
pub fn json_paths(data: &[u8]) {
    read::json::same_on_both_paths(data);
}

/// The JSON reader serially and on two threads, in chunks of the first byte's size: the same
/// values at the same places, and the same end or error.
pub fn json_parallel(data: &[u8]) {
    if let Some((&chunk, rest)) = data.split_first() {
        read::json::same_in_parallel(rest, usize::from(chunk) + 1);
    }
}

pub fn read_xml(data: &[u8]) {
    let _ = read::xml::read(&mut &data[..], "fuzz.xml", &mut Discard);
}

pub fn read_csv(data: &[u8]) {
    let _ = read::csv::read(&mut &data[..], "fuzz.csv", &mut Discard);
}

/// A whole input file: sniffing, gzip, zip, BOM and encoding checks, then its reader.
pub fn read_file(data: &[u8]) {
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if file.write_all(data).is_err() {
        return;
    }
    let path = file.path().to_string_lossy().to_string();
    let _ = read::read_inputs(&[path], None, true, None, || Discard);
}

pub fn period(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        for cal in crate::period::Calendar::ALL {
            if let Ok(p) = crate::period::parse_in(cal, s) {
                // The canonical id parses to the same period, which starts before it ends.
                let again = crate::period::parse_in(cal, &p.id).expect("a canonical id parses");
                assert_eq!(
                    (again.start, again.end, again.period_type),
                    (p.start, p.end, p.period_type)
                );
                assert!(p.start <= p.end, "{cal} {s}");
            }
            let _ = crate::period::Window::parse_in(cal, s);
        }
    }
}

pub fn value(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(c) = value::canonical_number(s) {
        // Canonical forms are fixed points.
        assert_eq!(value::canonical_number(&c).as_deref(), Some(&*c), "{s:?}");
        let _ = value::sum_decimals([&*c, &*c]);
    }
    let _ = value::prepare(Some(s), None);
    for vt in value::VALUE_TYPES {
        let _ = value::prepare(Some(s), ValueType::parse(vt));
    }
}

/// The mapping loader on bytes saved as a workbook and as a CSV.
pub fn mapping(data: &[u8]) {
    for suffix in [".xlsx", ".ods", ".csv"] {
        let Ok(mut file) = tempfile::Builder::new().suffix(suffix).tempfile() else {
            return;
        };
        if file.write_all(data).is_err() {
            return;
        }
        let path = file.path().to_string_lossy().to_string();
        let _ = Mapping::load(&path, TargetScheme::Code);
    }
}

/// The JSON and XML writers on arbitrary texts (fields split at NUL bytes, values at 0x01):
/// the JSON always parses back to the same texts; the XML is refused (a character XML 1.0
/// forbids, named) or is well-formed and reads back to the same texts.
pub fn writers(data: &[u8]) {
    writers_on(&String::from_utf8_lossy(data));
}

fn writers_on<'a>(text: &'a str) {
    let records: Vec<Vec<&str>> = text
        .split('\u{1}')
        .map(|r| r.split('\0').collect())
        .take(20)
        .collect();
    let field = |r: &[&'a str], i: usize| -> &'a str { r.get(i).copied().unwrap_or("") };
    let values: Vec<OutputValue> = records
        .iter()
        .map(|r| OutputValue {
            data_element: field(r, 0),
            period: field(r, 1),
            org_unit: field(r, 2),
            category_option_combo: field(r, 3),
            attribute_option_combo: field(r, 4),
            value: field(r, 5),
            comment: r.get(6).copied(),
            followup: r.get(7).is_some_and(|f| f.starts_with('t')),
            deleted: false,
        })
        .collect();
    let schemes = Schemes {
        data_element: IdScheme::Code,
        category_option_combo: IdScheme::Uid,
        attribute_option_combo: IdScheme::Uid,
        org_unit: IdScheme::Code,
    };
    let data_set = DataSetId {
        id: field(&records[0], 7).to_string(),
        scheme: IdScheme::Code,
    };
    let json = written(Format::Json, &values, &schemes, &data_set).expect("JSON takes any text");
    let doc: serde_json::Value = serde_json::from_slice(&json).expect("the JSON output parses");
    assert_eq!(doc["dataSet"], data_set.id.as_str());
    for (v, got) in values
        .iter()
        .zip(doc["dataValues"].as_array().expect("dataValues"))
    {
        assert_eq!(got["value"], v.value);
        assert_eq!(got["dataElement"], v.data_element);
        assert_eq!(got["comment"].as_str(), v.comment);
    }
    let forbidden = values
        .iter()
        .flat_map(|v| v.fields().into_iter().chain(v.comment))
        .chain([data_set.id.as_str()])
        .any(|t| t.chars().any(crate::write::xml::forbidden));
    match written(Format::Xml, &values, &schemes, &data_set) {
        Err(e) => {
            assert!(forbidden, "refused without cause: {e}");
            assert!(e.to_string().contains("XML 1.0 forbids"), "{e}");
        }
        Ok(xml) => {
            assert!(!forbidden, "a forbidden character was written");
            let texts = xml_values(&xml);
            let expected: Vec<&str> = values.iter().map(|v| v.value).collect();
            assert_eq!(texts, expected);
        }
    }
}

fn written(
    format: Format,
    values: &[OutputValue],
    schemes: &Schemes,
    data_set: &DataSetId,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut w = crate::write::writer(format, &mut out, schemes, Some(data_set))?;
    for v in values {
        w.value(v)?;
    }
    w.finish()?;
    drop(w);
    Ok(out)
}

/// The `value` attribute of every `dataValue`, read by a conforming parser.
fn xml_values(xml: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(xml).expect("the XML is UTF-8");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("the XML output is well-formed") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Empty(e) => {
                for a in e.attributes() {
                    let a = a.expect("a well-formed attribute");
                    if a.key.local_name().as_ref() == "value" {
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("an attribute value that unescapes");
                        out.push(v.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The writers on generated texts: every character class XML treats apart, in every field.
    #[test]
    fn writers_on_generated_texts() {
        let pieces = [
            "a", "&", "<", ">", "\"", "'", "\t", "\n", "\r", " ", "\u{7f}", "\u{85}", "\u{fffd}",
            "\u{fffe}", "\u{ffff}", "\u{2}", "\u{1f}", "é", "😀", "\\", "]]>",
        ];
        let mut n = 0u64;
        for a in pieces {
            for b in pieces {
                for field in 0..8 {
                    let mut fields = ["DE", "202401", "OU", "", "", "5", "c", "DS"];
                    let text = format!("x{a}{b}");
                    fields[field] = &text;
                    super::writers(fields.join("\0").as_bytes());
                    n += 1;
                }
            }
        }
        assert!(n > 3000);
    }

    /// Every fuzzing finding kept in the repository, and the corpus of broken exports, go
    /// through their entry point again.
    #[test]
    fn fuzz_regressions_replay() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let read = |p: &Path| std::fs::read(p).expect("a kept input");
        let mut replayed = 0;
        for (target, run) in [
            ("read_json", super::read_json as fn(&[u8])),
            ("read_xml", super::read_xml),
            ("read_csv", super::read_csv),
            ("read_file", super::read_file),
            ("period", super::period),
            ("value", super::value),
            ("mapping", super::mapping),
            ("writers", super::writers),
            ("json_paths", super::json_paths),
            ("json_parallel", super::json_parallel),
        ] {
            for entry in
                std::fs::read_dir(root.join("fuzz-regressions").join(target)).expect("kept")
            {
                run(&read(&entry.expect("an entry").path()));
                replayed += 1;
            }
        }
        for entry in std::fs::read_dir(root.join("corpus")).expect("the corpus") {
            super::read_file(&read(&entry.expect("an entry").path()));
            replayed += 1;
        }
        assert!(replayed >= 30, "{replayed} inputs replayed");
    }
}
