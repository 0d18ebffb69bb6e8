//! Writes a realistic analytics export of N values in JSON, XML and CSV (the same rows in each):
//! 300 program indicators × 12 monthly periods × as many org units as needed, `12.0`-style
//! values, `[aggregated]` comments, created/lastUpdated, plus the matching mapping and the
//! target's metadata (data elements, the data set, its org units and 100 validation rules).
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
    let org_units = n.div_ceil(PIS * 12);
    metadata(dir, org_units)?;
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

/// The target metadata: data elements `De000000000`… (codes `DE_0000`…), the monthly data set
/// `DS_MONTHLY` assigned to every org unit, and 100 monthly validation rules over the data
/// elements (all three missing value strategies).
fn metadata(dir: &Path, org_units: u64) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(dir.join("metadata.json"))?);
    write!(
        out,
        "{{\"system\":{{\"version\":\"2.42.3\"}},\"categoryCombos\":[{{\"id\":\"bjDvmb4bfuf\",\"name\":\"default\",\"code\":\"default\"}}],\"categoryOptionCombos\":[{{\"id\":\"HllvX50cXC0\",\"name\":\"default\",\"code\":\"default\",\"categoryCombo\":{{\"id\":\"bjDvmb4bfuf\"}}}}],\"dataElements\":["
    )?;
    for p in 0..PIS {
        let sep = if p > 0 { "," } else { "" };
        write!(
            out,
            "{sep}{{\"id\":\"De{p:09}\",\"name\":\"Element {p}\",\"code\":\"DE_{p:04}\",\"valueType\":\"INTEGER_ZERO_OR_POSITIVE\",\"categoryCombo\":{{\"id\":\"bjDvmb4bfuf\"}}}}"
        )?;
    }
    write!(
        out,
        "],\"dataSets\":[{{\"id\":\"DsMonthly01\",\"name\":\"Monthly\",\"code\":\"DS_MONTHLY\",\"periodType\":\"Monthly\",\"openFuturePeriods\":24,\"categoryCombo\":{{\"id\":\"bjDvmb4bfuf\"}},\"dataSetElements\":["
    )?;
    for p in 0..PIS {
        let sep = if p > 0 { "," } else { "" };
        write!(out, "{sep}{{\"dataElement\":{{\"id\":\"De{p:09}\"}}}}")?;
    }
    write!(out, "],\"organisationUnits\":[")?;
    for o in 0..org_units {
        let sep = if o > 0 { "," } else { "" };
        write!(out, "{sep}{{\"id\":\"Ou{o:09}\"}}")?;
    }
    write!(out, "]}}],\"organisationUnits\":[")?;
    for o in 0..org_units {
        let sep = if o > 0 { "," } else { "" };
        write!(
            out,
            "{sep}{{\"id\":\"Ou{o:09}\",\"name\":\"Facility {o}\",\"level\":4,\"path\":\"/Ou{o:09}\"}}"
        )?;
    }
    write!(out, "],\"validationRules\":[")?;
    let strategies = [
        "NEVER_SKIP",
        "SKIP_IF_ANY_VALUE_MISSING",
        "SKIP_IF_ALL_VALUES_MISSING",
    ];
    for r in 0..100u64 {
        let sep = if r > 0 { "," } else { "" };
        let (a, b, c) = (r * 3 % PIS, (r * 3 + 1) % PIS, (r * 3 + 2) % PIS);
        let s = strategies[(r % 3) as usize];
        write!(
            out,
            "{sep}{{\"id\":\"Vr{r:09}\",\"name\":\"Rule {r}\",\"periodType\":\"Monthly\",\"operator\":\"less_than_or_equal_to\",\"leftSide\":{{\"expression\":\"#{{De{a:09}}}\",\"missingValueStrategy\":\"{s}\"}},\"rightSide\":{{\"expression\":\"#{{De{b:09}}} + #{{De{c:09}}}\",\"missingValueStrategy\":\"{s}\"}}}}"
        )?;
    }
    writeln!(out, "]}}")?;
    out.flush()
}
