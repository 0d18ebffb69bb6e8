//! `pi2de inspect`.

use super::*;

#[test]
fn inspect_describes_an_export() {
    let assert = pi2de()
        .args(["inspect", s(&repo(SAMPLES[2]))])
        .assert()
        .code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("immunisation.csv: CSV, 109 values"), "{out}");
    assert!(out.contains("data elements:   12"), "{out}");
    assert!(out.contains("org units:       3"), "{out}");
    assert!(out.contains("periods:         3 (Monthly ×3)"), "{out}");
    assert!(out.contains("202401         Monthly"), "{out}");
    assert!(out.contains("such as 12.0"), "{out}");
    assert!(out.contains("repeated keys:   1 (same data element, period, org unit, COC, AOC): 1 with identical values, 0 with different values"), "{out}");
    pi2de()
        .args(["inspect", "nope.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.csv"));
}
