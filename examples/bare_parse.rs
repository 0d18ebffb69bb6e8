//! The bare-parse limit for `bench/run.sh`: reads an export with pi2de's reader on one thread
//! and only counts its values (no conversion, nothing written), printing the values and the
//! seconds it took. Usage: bare_parse FILE

use std::time::Instant;

use pi2de::model::DataValue;
use pi2de::read::{Sink, read_inputs};

/// Counts the values it is given, and touches their text so that nothing is optimised away.
#[derive(Default)]
struct Count {
    values: u64,
    bytes: u64,
}

impl Sink for Count {
    fn begin_input(&mut self, _: usize, _: &str) {}
    fn data_value(&mut self, v: DataValue<'_>) -> anyhow::Result<()> {
        self.values += 1;
        self.bytes += (v.data_element.len() + v.period.len() + v.org_unit.len()) as u64;
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: bare_parse FILE"))?;
    let start = Instant::now();
    let (count, _) = read_inputs(&[path], None, false, None, Count::default)?;
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(count.bytes);
    println!("{} {seconds:.3}", count.values);
    Ok(())
}
