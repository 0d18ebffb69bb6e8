//! Writes a realistic analytics export of N values in JSON, XML and CSV (the same rows in each):
//! 300 program indicators × 12 monthly periods × as many org units as needed, `12.0`-style
//! values, `[aggregated]` comments, created/lastUpdated, plus the matching mapping.
//!
//!     cargo run --release --example generate_export -- N FOLDER [repeat] [json,xml,csv]
//!
//! With `repeat`, the first tenth of the rows is written ten times (the same keys again), to
//! show that memory follows distinct keys, not file size. `bench/run.sh` drives it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

const PIS: u64 = 300;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = Path::new(
        args.get(2)
            .map(String::as_str)
            .unwrap_or("/tmp/pi2de-bench"),
    );
    let repeat = args.iter().any(|a| a == "repeat");
    let formats = args
        .get(4)
        .or(args.get(3).filter(|a| *a != "repeat"))
        .map_or("json,xml,csv", String::as_str);
    std::fs::create_dir_all(dir)?;
    let mut mapping = BufWriter::new(File::create(dir.join("mapping.csv"))?);
    writeln!(
        mapping,
        "programIndicator,programIndicatorName,dataElement,valueType,dataSet"
    )?;
    for p in 0..PIS {
        writeln!(
            mapping,
            "Pi{p:09},Indicator {p},DE_{p:04},INTEGER_ZERO_OR_POSITIVE,DS_MONTHLY"
        )?;
    }
    mapping.flush()?;
    for format in formats.split(',') {
        let path = dir.join(format!("export.{format}"));
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        match format {
            "json" => writeln!(out, "{{\"dataValues\":[")?,
            "xml" => writeln!(
                out,
                "<dataValueSet xmlns=\"http://dhis2.org/schema/dxf/2.0\">"
            )?,
            _ => writeln!(
                out,
                "data_element,period,organisation_unit,category_option_combo,attribute_option_combo,value,stored_by,created,last_updated,comment,follow_up"
            )?,
        }
        let distinct = if repeat { n.div_ceil(10) } else { n };
        let mut state: u64 = 42;
        for i in 0..n {
            let k = i % distinct;
            let (p, rest) = (k % PIS, k / PIS);
            let (month, ou) = (rest % 12 + 1, rest / 12);
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let value = if repeat { k % 500 } else { (state >> 33) % 500 };
            match format {
                "json" => {
                    if i > 0 {
                        writeln!(out, ",")?;
                    }
                    write!(
                        out,
                        "{{\"dataElement\":\"Pi{p:09}\",\"period\":\"2024{month:02}\",\"orgUnit\":\"Ou{ou:09}\",\"value\":\"{value}.0\",\"created\":\"2025-11-25\",\"lastUpdated\":\"2025-11-25\",\"comment\":\"[aggregated]\",\"followup\":false}}"
                    )?;
                }
                "xml" => writeln!(
                    out,
                    "  <dataValue dataElement=\"Pi{p:09}\" period=\"2024{month:02}\" orgUnit=\"Ou{ou:09}\" value=\"{value}.0\" created=\"2025-11-25\" lastUpdated=\"2025-11-25\" comment=\"[aggregated]\" followup=\"false\"/>"
                )?,
                _ => writeln!(
                    out,
                    "Pi{p:09},2024{month:02},Ou{ou:09},,,{value}.0,,,,[aggregated],false"
                )?,
            }
        }
        match format {
            "json" => writeln!(out, "\n]}}")?,
            "xml" => writeln!(out, "</dataValueSet>")?,
            _ => {}
        }
        out.flush()?;
        eprintln!("wrote {n} values to {}", path.display());
    }
    Ok(())
}
