//! Entry points for the fuzz targets (`fuzz/`, built with the `fuzzing` feature) and for
//! replaying their findings in `cargo test` (`tests/fuzz-regressions/`): each takes arbitrary
//! bytes and must return without panicking.

use std::io::Write;

use crate::mapping::{Mapping, TargetScheme};
use crate::model::{DataValue, Header};
use crate::read::{self, Sink};
use crate::value::{self, ValueType};

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
        if let Ok(p) = crate::period::parse(s) {
            // The canonical id parses to the same period.
            let again = crate::period::parse(&p.id).expect("a canonical id parses");
            assert_eq!(
                (again.start, again.end, again.period_type),
                (p.start, p.end, p.period_type)
            );
        }
        let _ = crate::period::Window::parse(s);
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

#[cfg(test)]
mod tests {
    use std::path::Path;

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
