//! Outputs stay byte-identical.

use super::*;

/// A deterministic, varied 30,000-value export and its mapping: Java-double forms, text with
/// escapes, empty values, COC/AOC, several period types, invalid periods, identical duplicates
/// and conflicts between indicators mapped to one target.
pub(crate) fn generated_export(dir: &TempDir) -> (PathBuf, PathBuf) {
    let forms = [
        "12.0", "1.0E7", "-0.0", "0.5", "3", "1.5e-3", "Positive", "a\"b\\c", "ünï", "", "7.25",
        "-4.0", "100.0",
    ];
    let periods = [
        "202401",
        "202402",
        "202403",
        "2024W5",
        "2024Q1",
        "2024-05",
        "202413",
        "2024NovQ1",
        "20240315",
    ];
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut rows = Vec::new();
    for i in 0..30_000 {
        let pi = next() % 40;
        let coc = if pi % 7 == 0 {
            format!(",\"categoryOptionCombo\":\"Coc{:08}\"", next() % 3)
        } else {
            String::new()
        };
        let aoc = if pi % 11 == 0 {
            ",\"attributeOptionCombo\":\"AocPartnerA\"".to_string()
        } else {
            String::new()
        };
        let value = forms[next() % forms.len()]
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        let row = format!(
            "{{\"dataElement\":\"Pi{pi:09}\",\"period\":\"{}\",\"orgUnit\":\"Ou{:09}\"{coc}{aoc},\"value\":\"{value}\",\"created\":\"2025-11-25\",\"comment\":\"[aggregated]\",\"followup\":false}}",
            periods[next() % periods.len()],
            next() % 400
        );
        rows.push(row.clone());
        if i % 97 == 0 {
            rows.push(row);
        }
    }
    let export = write(
        dir,
        "export.json",
        &format!("{{\"dataValues\":[\n{}\n]}}\n", rows.join(",\n")),
    );
    let mut mapping = String::from("programIndicator,dataElement,categoryOptionCombo,valueType\n");
    for pi in 0..35 {
        let target = if pi == 34 { 33 } else { pi };
        let value_type = if pi % 5 == 0 { "INTEGER" } else { "" };
        let coc = if pi % 9 == 0 { "SEX_F" } else { "" };
        mapping.push_str(&format!("Pi{pi:09},DE_{target:03},{coc},{value_type}\n"));
    }
    (export, write(dir, "mapping.csv", &mapping))
}

pub(crate) fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn outputs_stay_byte_identical() {
    let dir = Workdir::new();
    let (export, mapping) = generated_export(&dir);
    let mut digests = Vec::new();
    for (name, policy) in [
        ("out.json", "reject"),
        ("out.csv", "sum"),
        ("out.xml", "last"),
    ] {
        let out = dir.file(name);
        let (code, summary, stderr) = dir.convert(&[
            s(&export),
            "-m",
            s(&mapping),
            "-o",
            s(&out),
            "--on-duplicate",
            policy,
        ]);
        assert_eq!(code, 1, "{stderr}");
        digests.push((name, summary["counts"].clone(), sha256_hex(&out)));
    }
    // Captured before any performance work: every optimisation must leave the bytes alone.
    // Changed once since, by the fidelity rules (docs/dhis2-rules.md): with no value type known,
    // `1.5e-3` is no longer rewritten (analytics writes `E`), so it is kept as read and cannot
    // be summed (out.csv, policy sum: 169 values fewer); CSV has the camelCase header.
    let expected = [
        (
            "out.json",
            16145,
            "e8665e6ef7da521edc7388223cce52209487c9832d8a6ed6f4ed326bfc8338d7",
        ),
        (
            "out.csv",
            15805,
            "5fe337b1997c6901e1d5a0da4275eea24642466c6e1412281959a762b7267875",
        ),
        (
            "out.xml",
            17639,
            "4397dc4736599c67f2b554dce00c3f49c63a2bb83d52acbebc3e558856ee3dea",
        ),
    ];
    for ((name, counts, digest), (want_name, written, want)) in digests.iter().zip(expected) {
        assert_eq!(
            (*name, counts["written"].as_u64().unwrap()),
            (want_name, written)
        );
        assert_eq!(counts["read"], 30310);
        assert_eq!(digest, want, "{name} changed");
    }
}

/// Two exports of 40,000 distinct values between them (more than the pieces the output is
/// written in on every core, and several megabytes each: several chunks for the parallel JSON
/// reader), with duplicates within and across the files and deletions; near the end of the
/// second, values written as JSON numbers (the serial reader's, from there on).
fn two_exports(dir: &Workdir) -> [PathBuf; 2] {
    let row = |i: usize, value: &str, deleted: bool| {
        let deletion = if deleted { ",\"deleted\":true" } else { "" };
        let value = if i > 39_000 && i.is_multiple_of(7) {
            value.to_string()
        } else {
            format!("\"{value}\"")
        };
        format!(
            "{{\"dataElement\":\"Pi{:09}\",\"period\":\"2024{:02}\",\"orgUnit\":\"Ou{:09}\",\"value\":{value},\"comment\":\"[aggregated]\"{deletion}}}",
            i % 30,
            1 + i / 30 % 12,
            i / 360
        )
    };
    let mut files = [Vec::new(), Vec::new()];
    for i in 0..40_000 {
        let file = &mut files[i % 2];
        file.push(row(i, &format!("{}.0", i % 1000), i % 101 == 0));
        if i % 53 == 0 {
            // A conflicting duplicate in the other file, an identical one in this.
            files[(i + 1) % 2].push(row(i, "7", false));
            files[i % 2].push(row(i, &format!("{}.0", i % 1000), false));
        }
    }
    [0, 1].map(|n| {
        dir.write(
            &format!("export{n}.json"),
            &format!("{{\"dataValues\":[\n{}\n]}}\n", files[n].join(",\n")),
        )
    })
}

#[test]
fn outputs_summaries_and_traces_are_the_same_on_one_thread_and_on_many() {
    let dir = Workdir::new();
    let [a, b] = two_exports(&dir);
    let mut mapping = String::from("programIndicator,dataElement\n");
    for pi in 0..30 {
        mapping.push_str(&format!("Pi{pi:09},DE_{:03}\n", pi % 29));
    }
    let mapping = dir.write("mapping.csv", &mapping);
    for (out, policy) in [
        ("out.json", "last"),
        ("out.csv", "first"),
        ("out.xml", "sum"),
        ("out.json.gz", "last"),
    ] {
        let run = |threads: &str, memory: &str| {
            let (code, _, stderr) = dir.convert(&[
                "--memory",
                memory,
                s(&a),
                s(&b),
                "-m",
                s(&mapping),
                "-o",
                s(&dir.file(out)),
                "--on-duplicate",
                policy,
                "--trace",
                s(&dir.file("trace.csv")),
                "--threads",
                threads,
            ]);
            assert!(code < 2, "{out}: {stderr}");
            // The summary is the one `convert` writes beside the files.
            ["", "trace.csv", "summary.json"].map(|f| {
                let path = if f.is_empty() {
                    dir.file(out)
                } else {
                    dir.file(f)
                };
                fs::read(path).unwrap()
            })
        };
        let one = run("1", "4G");
        let summary: Value = serde_json::from_slice(&one[2]).unwrap();
        assert!(
            summary["counts"]["written"].as_u64().unwrap() > 30_000,
            "{out}: several pieces are written"
        );
        // Several threads, and the key store past its memory (its oldest keys on disk: with
        // nothing to spare, all but the last few thousand).
        for (threads, memory) in [
            ("2", "4G"),
            ("3", "4G"),
            ("5", "4G"),
            ("1", "1"),
            ("2", "256K"),
        ] {
            let many = run(threads, memory);
            for (what, (x, y)) in ["output", "trace", "summary"]
                .iter()
                .zip(one.iter().zip(&many))
            {
                assert!(
                    x == y,
                    "{out}, {threads} threads, --memory {memory}: the {what} differs"
                );
            }
        }
    }
}

#[test]
fn a_thread_count_that_is_no_count_is_refused_and_nothing_is_written() {
    let dir = Workdir::new();
    let sample = repo(SAMPLES[0]);
    for bad in ["0", "-1", "two", "257", ""] {
        let option = format!("--threads={bad}");
        let (code, stderr) = dir.run(&["convert", s(&sample), "-o", "out.json", &option]);
        assert_eq!(code, 2, "--threads {bad:?}: {stderr}");
        assert!(stderr.contains("--threads"), "{bad:?}: {stderr}");
    }
    assert!(!dir.file("out.json").exists(), "nothing written");
}

#[test]
fn a_memory_that_is_no_size_is_refused_and_nothing_is_written() {
    let dir = Workdir::new();
    let sample = repo(SAMPLES[0]);
    for bad in ["0", "-1G", "two", "2T", "1.5G", ""] {
        let option = format!("--memory={bad}");
        let (code, stderr) = dir.run(&["convert", s(&sample), "-o", "out.json", &option]);
        assert_eq!(code, 2, "--memory {bad:?}: {stderr}");
        assert!(stderr.contains("--memory"), "{bad:?}: {stderr}");
    }
    assert!(!dir.file("out.json").exists(), "nothing written");
}

#[test]
fn a_run_past_memory_says_how_many_keys_went_to_disk_and_when_the_index_alone_passes_it() {
    let dir = Workdir::new();
    let (export, mapping) = generated_export(&dir);
    let run = |memory: &str| {
        let (code, stderr) = dir.run(&[
            "convert",
            s(&export),
            "-m",
            s(&mapping),
            "-o",
            "out.json",
            "--memory",
            memory,
        ]);
        assert_eq!(code, 1, "{stderr}");
        stderr
    };
    let small = run("1");
    let on_disk = small
        .lines()
        .find(|l| l.contains("on disk"))
        .unwrap_or_else(|| panic!("no line for keys on disk: {small}"));
    let n: usize = on_disk
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no count: {on_disk}"));
    assert!(n >= 4096, "at least a chunk on disk: {on_disk}");
    assert!(on_disk.contains("--memory 1 B"), "{on_disk}");
    assert!(
        small.contains("note: the key index of") && small.contains("more than --memory 1 B"),
        "{small}"
    );
    let plenty = run("4G");
    assert!(
        !plenty.contains("on disk") && !plenty.contains("key index"),
        "{plenty}"
    );
}
