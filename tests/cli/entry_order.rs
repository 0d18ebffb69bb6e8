//! The data-entry checks of `--target-metadata` keep what they judged per data set, period,
//! org unit and attribute option combo, and reuse the verdict and placement of the value
//! before: a value's verdict must not depend on the values before it. Every value of a
//! generated set, judged against the checks' metadata ([`crate::target::entry_verdicts`]) in
//! orders that put values differing in one field side by side, gets the verdict it gets alone.

use super::Gen;
use crate::target::entry_verdicts;

type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Data elements (each in a data set of its own rules), periods (one of another period
/// type), org units (one opened late, one closed early) with attribute option combos (option
/// A is restricted to District001, C ends in January).
const ELEMENTS: [&str; 4] = ["IP", "EXP", "FUT", "PARTNER"];
const PERIODS: [&str; 4] = ["202312", "202401", "202402", "2024Q1"];
const UNITS: [(&str, &str); 8] = [
    ("Facility001", ""),
    ("OpensLate01", ""),
    ("ClosedEarly", ""),
    ("Facility002", ""),
    ("District001", "PARTNER_A"),
    ("Facility002", "PARTNER_A"),
    ("Facility001", "PARTNER_A"),
    ("Facility001", "PARTNER_C"),
];

/// A value always written, in a data set of its own, beside a value judged alone (a run that
/// writes nothing fails).
const ANCHOR: Row = ("SEXED", "202401", "Facility001", "F", "");

fn every_value() -> Vec<Row> {
    ELEMENTS
        .iter()
        .flat_map(|de| PERIODS.iter().map(move |pe| (*de, *pe)))
        .flat_map(|(de, pe)| UNITS.iter().map(move |(ou, aoc)| (de, pe, *ou, "", *aoc)))
        .collect()
}

/// The orders: sorted by each field first (neighbours differ in one field), then shuffled.
fn orders(values: &[Row]) -> Vec<Vec<usize>> {
    let fields = |v: &Row| [v.0, v.1, v.2, v.4];
    let mut out = Vec::new();
    for first in 0..4 {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by_key(|&i| {
            let mut f = fields(&values[i]);
            f.rotate_left(first);
            f
        });
        out.push(order);
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    let mut g = Gen(7);
    for i in (1..order.len()).rev() {
        order.swap(i, (g.next() % (i as u64 + 1)) as usize);
    }
    out.push(order);
    out
}

#[test]
fn each_value_gets_the_verdict_it_gets_alone_whatever_comes_before_it() {
    let values = every_value();
    for version in ["2.42.3", "2.43.2"] {
        let args = ["--as-of", "2024-02-11"];
        let alone: Vec<String> = values
            .iter()
            .map(|v| entry_verdicts(version, &args, &[ANCHOR, *v]).remove(1))
            .collect();
        // Several kinds of verdict, so that a verdict carried over would show.
        let mut kinds: Vec<&str> = alone.iter().map(|v| v.split(':').next().unwrap()).collect();
        kinds.sort();
        kinds.dedup();
        assert!(kinds.len() >= 5, "{version}: {kinds:?}");
        for (n, order) in orders(&values).into_iter().enumerate() {
            let rows: Vec<Row> = order.iter().map(|&i| values[i]).collect();
            let together = entry_verdicts(version, &args, &rows);
            for (k, &i) in order.iter().enumerate() {
                assert_eq!(
                    together[k], alone[i],
                    "{version}, order {n}: value {:?} at {k}",
                    values[i]
                );
            }
        }
    }
}
