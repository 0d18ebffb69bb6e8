//! What users read, pinned: the console report and the `--summary` JSON of the bundled sample,
//! clean and judged against target metadata. A renamed key or a changed line shows as a diff
//! in review (`cargo insta review`, or accept with `INSTA_UPDATE=always`). Paths, the tool's
//! version and the time taken are redacted.

use super::*;

/// Runs convert in `dir` (outputs by relative name) and returns stderr and the summary text,
/// with the paths that differ between machines replaced.
fn run_in(dir: &Workdir, args: &[&str]) -> (String, String) {
    let out = pi2de()
        .current_dir(dir.path())
        .arg("convert")
        .args(args)
        .args(["--summary", "summary.json"])
        .output()
        .expect("run pi2de");
    // The checkout, followed by its separator as a path, as JSON escapes it, or as Windows
    // joins it (`C:\pi2de\samples/…`).
    let root = env!("CARGO_MANIFEST_DIR").trim_end_matches(['/', '\\']);
    let redact = |text: &str| {
        ["\\\\", "\\", "/"]
            .iter()
            .fold(text.to_string(), |t, sep| {
                t.replace(&format!("{root}{sep}"), "[repo]/")
            })
            .replace(s(dir.path()), "[dir]")
            .replace(env!("CARGO_PKG_VERSION"), "[version]")
    };
    let summary = fs::read_to_string(dir.file("summary.json")).expect("a summary");
    (
        redact(&String::from_utf8_lossy(&out.stderr)),
        redact(&summary),
    )
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"Done in [0-9.]+ s", "Done in [time] s");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[test]
fn the_bundled_sample_reads_as_it_did() {
    let dir = Workdir::new();
    let (console, summary) = run_in(
        &dir,
        &[
            s(&repo("samples/immunisation.json")),
            "-m",
            s(&repo("mappings/immunisation.xlsx")),
            "-o",
            "hmis.json",
        ],
    );
    settings().bind(|| {
        insta::assert_snapshot!("sample_console", console);
        insta::assert_snapshot!("sample_summary", summary);
    });
}

#[test]
fn a_run_against_target_metadata_reads_as_it_did() {
    let dir = Workdir::new();
    // The rules' mapping and export, with a data element the metadata lacks and a weekly
    // period the data set does not take.
    use super::validation::{RULES_EXPORT, RULES_MAPPING};
    dir.write("m.csv", &format!("{RULES_MAPPING}PiXxxxxxxxx,DE_X,,DS_M\n"));
    dir.write(
        "in.csv",
        &format!(
            "{RULES_EXPORT}PiXxxxxxxxx,202401,OuFacility2,4\n\
             PiCxxxxxxxx,2024W3,OuFacility1,1\n"
        ),
    );
    let (console, summary) = run_in(
        &dir,
        &[
            "in.csv",
            "-m",
            "m.csv",
            "-o",
            "hmis.json",
            "--target-metadata",
            s(&repo("tests/metadata/rules.json")),
            "--as-of",
            "2024-03-01",
        ],
    );
    settings().bind(|| {
        insta::assert_snapshot!("target_console", console);
        insta::assert_snapshot!("target_summary", summary);
    });
}
