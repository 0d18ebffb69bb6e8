//! The data-entry checks of `--target-metadata` keep what they judged per data set, period,
//! org unit and attribute option combo: a value's verdict must not depend on the values
//! before it. Generated sequences of values against the checks' metadata
//! ([`crate::target::entry_verdicts`]) give each value the verdict it gets alone.

use crate::target::entry_verdicts;

/// Data elements (each in a data set of its own rules), periods, org units with AOCs.
const ELEMENTS: [&str; 6] = ["IP", "EXP", "FUT", "OU", "PARTNER", "LATE"];
const PERIODS: [&str; 4] = ["202312", "202401", "202402", "202403"];
const UNITS: [(&str, &str); 5] = [
    ("Facility001", ""),
    ("Facility002", ""),
    ("District001", "PARTNER_A"),
    ("Facility001", "PARTNER_B"),
    ("Facility001", "PARTNER_C"),
];

/// A value always written, in a data set of its own, beside a value judged alone (a run that
/// writes nothing fails).
const ANCHOR: (&str, &str, &str, &str, &str) = ("SEXED", "202401", "Facility001", "F", "");

/// `n` distinct values picked by `seed`, in the order picked.
fn sequence(
    seed: u64,
    n: usize,
) -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    let mut pool: Vec<_> = ELEMENTS
        .iter()
        .flat_map(|de| PERIODS.iter().map(move |pe| (de, pe)))
        .flat_map(|(de, pe)| UNITS.iter().map(move |(ou, aoc)| (*de, *pe, *ou, "", *aoc)))
        .collect();
    let mut x = seed;
    let mut picked = Vec::new();
    while picked.len() < n && !pool.is_empty() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        picked.push(pool.swap_remove((x >> 33) as usize % pool.len()));
    }
    picked
}

#[test]
fn each_value_gets_the_verdict_it_gets_alone_whatever_comes_before_it() {
    for version in ["2.42.3", "2.43.2"] {
        let args = ["--as-of", "2024-02-11"];
        let values = sequence(7, 24);
        let alone: Vec<String> = values
            .iter()
            .map(|v| entry_verdicts(version, &args, &[ANCHOR, *v]).remove(1))
            .collect();
        // Several kinds of verdict, so that a verdict carried over would show.
        let mut kinds: Vec<&str> = alone.iter().map(|v| v.split(':').next().unwrap()).collect();
        kinds.sort();
        kinds.dedup();
        assert!(kinds.len() >= 3, "{version}: {kinds:?}");
        for seed in [1u64, 2, 3] {
            // The same values in another order.
            let mut order: Vec<usize> = (0..values.len()).collect();
            let mut x = seed;
            for i in (1..order.len()).rev() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(seed);
                order.swap(i, (x >> 33) as usize % (i + 1));
            }
            let rows: Vec<_> = order.iter().map(|&i| values[i]).collect();
            let together = entry_verdicts(version, &args, &rows);
            for (k, &i) in order.iter().enumerate() {
                assert_eq!(
                    together[k], alone[i],
                    "{version}, order {seed}: value {:?} at {k}",
                    values[i]
                );
            }
        }
    }
}
