//! Limits DHIS2 enforces, checked before import.

use super::*;

#[test]
fn limits_dhis2_would_enforce_are_reported() {
    let dir = Workdir::new();
    let long_value = "x".repeat(50_001);
    let input = write(
        &dir,
        "in.json",
        &format!(
            "{{\"dataValues\":[{{\"dataElement\":\"DE_A\",\"period\":\"202401\",\"orgUnit\":\"OU_A\",\"value\":\"{long_value}\"}},\
         {{\"dataElement\":\"DE_B\",\"period\":\"202401\",\"orgUnit\":\"OU_A\",\"value\":\"{}\"}},\
         {{\"dataElement\":\"DE\\nC\",\"period\":\"202401\",\"orgUnit\":\"OU_A\",\"value\":\"1\"}}]}}",
            "x".repeat(50_000)
        ),
    );
    let out = dir.file("out.json");
    let (code, summary, _) = dir.convert(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 1);
    assert_eq!(left(&summary, "invalidValue"), 2);
    let details: Vec<&str> = summary["leftOutValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["detail"].as_str().unwrap())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("50001 characters long; DHIS2 accepts at most 50000")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("control character")),
        "{details:?}"
    );
    assert_eq!(
        json_values(&out).len(),
        1,
        "a value of exactly 50,000 characters is fine"
    );
    // In a mapping: codes longer than 50 characters, and ids DHIS2 cannot take.
    let code51 = "C".repeat(51);
    let mapping = write(
        &dir,
        "m.csv",
        &format!(
            "programIndicator,dataElement\nPiAAAAAAAAA,{code51}\nPiBBBBBBBBB,\"DE \"\"B\"\"\"\n"
        ),
    );
    pi2de()
        .args(["mapping", "check", s(&mapping)])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("m.csv!B2").and(predicate::str::contains(
                "longer than DHIS2's 50-character codes",
            )),
        )
        .stdout(predicate::str::contains("m.csv!B3").and(predicate::str::contains("double quote")));
}
