//! Writes a synthetic analytics export of N values (300 PIs × org units × 12 months, `12.0`-style
//! values, `[aggregated]` comments) and its mapping, for measuring pi2de on big inputs.
//!
//!     cargo run --release --example generate_export -- 1000000 /tmp/pi2de-bench
//!
//! With a third argument `repeat`, the first tenth of the rows is written ten times (the same
//! keys again), to show that memory follows distinct keys, not file size.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

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
    let repeat = args.get(3).is_some_and(|a| a == "repeat");
    fs::create_dir_all(dir)?;
    const PIS: u64 = 300;
    let mut mapping = BufWriter::new(File::create(dir.join("mapping.csv"))?);
    writeln!(mapping, "programIndicator,dataElement,valueType")?;
    for p in 0..PIS {
        writeln!(mapping, "Pi{p:09},DE_{p:04},INTEGER_ZERO_OR_POSITIVE")?;
    }
    let mut out = BufWriter::new(File::create(dir.join("export.json"))?);
    writeln!(out, "{{\"dataValues\":[")?;
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
        if i > 0 {
            writeln!(out, ",")?;
        }
        write!(
            out,
            "{{\"dataElement\":\"Pi{p:09}\",\"period\":\"2024{month:02}\",\"orgUnit\":\"Ou{ou:09}\",\"value\":\"{value}.0\",\"created\":\"2025-11-25\",\"lastUpdated\":\"2025-11-25\",\"comment\":\"[aggregated]\",\"followup\":false}}"
        )?;
    }
    writeln!(out, "\n]}}")?;
    out.flush()?;
    mapping.flush()?;
    eprintln!("wrote {n} values to {}", dir.join("export.json").display());
    Ok(())
}
