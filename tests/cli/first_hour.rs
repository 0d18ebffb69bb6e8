//! A new user's first hour: getting the export (`request`), help with examples, completions
//! and a man page, names that say what is written, pipes that close early.

use super::*;

/// `pi2de request ARGS`: exit code, stdout, stderr.
fn request(args: &[&str]) -> (i32, String, String) {
    let out = pi2de().arg("request").args(args).output().expect("run");
    (
        out.status.code().expect("code"),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The URLs of `request` output.
fn urls(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.split('\'').nth(1))
        // Only URLs: a quoted path (a Windows one, with `\`) is not one.
        .filter(|u| u.starts_with("http"))
        .map(str::to_string)
        .collect()
}

/// A mapping CSV of `n` program indicators (UIDs), `DS_M` for the first half, `DS_Q` after.
fn many_pis(dir: &Workdir, n: usize) -> PathBuf {
    let mut csv = String::from("programIndicator,dataElement,dataSet\n");
    for i in 0..n {
        let ds = if i < n / 2 { "DS_M" } else { "DS_Q" };
        csv.push_str(&format!("Pi{i:09},DE_{i},{ds}\n"));
    }
    dir.write("many.csv", &csv)
}

#[test]
fn request_prints_batched_analytics_urls_with_the_mappings_parameters() {
    let (code, stdout, _) = request(&[
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "--periods",
        "202401..202403",
        "--org-unit",
        "ImspTQPwCqd",
        "--org-unit-level",
        "4",
        "--server",
        "https://tracker.example.org/",
    ]);
    assert_eq!(code, 0);
    let urls = urls(&stdout);
    assert_eq!(urls.len(), 1, "{stdout}");
    let url = &urls[0];
    assert!(
        url.starts_with(
            "https://tracker.example.org/api/analytics/dataValueSet.json?dimension=dx:bCgDoses01a;"
        ),
        "{url}"
    );
    assert!(url.contains("&dimension=pe:202401;202402;202403&"), "{url}");
    assert!(url.contains("&dimension=ou:ImspTQPwCqd;LEVEL-4"), "{url}");
    assert!(
        !url.contains("IdScheme"),
        "UID sources need no id scheme: {url}"
    );
    assert!(
        stdout.contains("curl -u USER --fail -o export-1.json"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pi2de convert export-1.json -m"),
        "{stdout}"
    );
}

#[test]
fn request_cuts_batches_by_count_url_length_and_period_type() {
    let dir = Workdir::new();
    let mapping = many_pis(&dir, 120);
    // Without metadata every row is Monthly: 120 indicators in batches of at most 50.
    let (code, stdout, stderr) = request(&["-m", s(&mapping), "--urls-only"]);
    assert_eq!(code, 0);
    let urls = urls(&format!("'{}'", stdout.trim().replace('\n', "'\n'")));
    let counts: Vec<usize> = urls
        .iter()
        .map(|u| {
            u.split("dx:")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .split(';')
                .count()
        })
        .collect();
    assert_eq!(counts, [50, 50, 20]);
    assert!(urls.iter().all(|u| u.contains("dimension=pe:LAST_MONTH")));
    assert!(
        stderr.contains("--org-unit-level"),
        "a note on where the values sum: {stderr}"
    );
    // A short limit: every URL stays under it, and no indicator is lost.
    let (_, stdout, _) = request(&["-m", s(&mapping), "--urls-only", "--max-url", "300"]);
    let urls: Vec<&str> = stdout.lines().collect();
    assert!(urls.iter().all(|u| u.len() <= 300), "{urls:?}");
    let total: usize = urls
        .iter()
        .map(|u| {
            u.split("dx:")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .split(';')
                .count()
        })
        .sum();
    assert_eq!(total, 120);
    // With the target metadata, each batch holds one period type.
    let meta = dir.write(
        "agg.json",
        r#"{"dataSets":[{"id":"DsMMMMMMMMM","code":"DS_M","periodType":"Monthly"},
                        {"id":"DsQQQQQQQQQ","code":"DS_Q","periodType":"Quarterly"}]}"#,
    );
    let (_, stdout, _) = request(&[
        "-m",
        s(&mapping),
        "--target-metadata",
        s(&meta),
        "--periods",
        "2024-01-01..2024-06-30",
        "--urls-only",
    ]);
    let urls: Vec<&str> = stdout.lines().collect();
    assert_eq!(urls.len(), 4, "{stdout}");
    assert!(
        urls[..2]
            .iter()
            .all(|u| u.contains("pe:202401;202402;202403;202404;202405;202406&"))
    );
    assert!(urls[2..].iter().all(|u| u.contains("pe:2024Q1;2024Q2&")));
}

#[test]
fn request_asks_for_codes_when_the_mapping_uses_them() {
    let dir = Workdir::new();
    let mapping = dir.write(
        "codes.csv",
        "programIndicator,dataElement\nPI_BCG,DE_BCG\nPI_OPV,DE_OPV\n",
    );
    let (code, stdout, _) = request(&["-m", s(&mapping), "--urls-only", "--org-unit-level", "3"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("dx:PI_BCG;PI_OPV&")
            && stdout.contains("&inputIdScheme=CODE&outputDataItemIdScheme=CODE"),
        "{stdout}"
    );
    let (code, _, stderr) = request(&["-m", s(&mapping), "--periods", "202401.."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--periods needs both ends"), "{stderr}");
}

#[test]
fn help_shows_examples_that_fit_80_columns() {
    for args in [
        vec!["-h"],
        vec!["--help"],
        vec!["convert", "--help"],
        vec!["reconcile", "--help"],
        vec!["compare", "--help"],
        vec!["request", "--help"],
        vec!["mapping", "check", "--help"],
    ] {
        let out = pi2de().args(&args).env("COLUMNS", "80").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let examples = text
            .split_once("Example")
            .unwrap_or_else(|| panic!("{args:?}: no example in {text}"))
            .1;
        for line in examples.lines() {
            assert!(
                line.chars().count() <= 80,
                "{args:?}: `{line}` is wider than 80"
            );
        }
    }
}

#[test]
fn completions_and_a_man_page() {
    for (shell, expect) in [
        ("bash", "_pi2de()"),
        ("zsh", "#compdef pi2de"),
        ("fish", "complete -c pi2de"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        pi2de()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(expect).and(predicate::str::contains("reconcile")));
    }
    pi2de()
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(".TH pi2de 1").and(predicate::str::contains("convert")));
}

#[test]
fn workbooks_are_written_only_under_their_own_extension() {
    let dir = Workdir::new();
    for args in [
        vec!["mapping", "template", "-o", "x.csv"],
        vec!["mapping", "check", "m.csv", "--report", "r.ods"],
        vec!["convert", "in.csv", "-o", "o.json", "--report", "r.ods"],
    ] {
        dir.write("m.csv", "programIndicator,dataElement\nPiAAAAAAAAA,DE_A\n");
        dir.write(
            "in.csv",
            "dataelement,period,orgunit,value\nDE_A,202401,OU_A,1\n",
        );
        let out = pi2de()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr.contains("writes .xlsx workbooks"),
            "{args:?}: {stderr}"
        );
        assert_only(&dir, &["m.csv", "in.csv"]);
    }
}

#[cfg(unix)]
#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    let dir = Workdir::new();
    // Enough output to fill a pipe: request with one indicator per URL.
    let mapping = many_pis(&dir, 3_000);
    let mut input = String::from("dataelement,period,orgunit,value\n");
    for i in 0..50_000 {
        input.push_str(&format!("DE_A,202401,OU_{i:06},{i}\n"));
    }
    let export = dir.write("big.csv", &input);
    let runs: [(Vec<&str>, i32); 2] = [
        (vec!["request", "-m", s(&mapping), "--max-items", "1"], 0),
        // The output is then incomplete: exit 2, still without a message.
        (vec!["convert", s(&export), "-o", "-", "--to", "csv"], 2),
    ];
    for (args, expected) in runs {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pi2de"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(expected), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn one_period_is_a_window_of_its_own() {
    let dir = Workdir::new();
    let out = dir.file("out.json");
    let (code, summary, stderr) = dir.convert(&[
        s(&repo("samples/immunisation.json")),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        s(&out),
        "--periods",
        "202402",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let values = json_values(&out);
    assert!(
        !values.is_empty() && values.iter().all(|v| v["period"] == "202402"),
        "{values:?}"
    );
    assert!(left(&summary, "outsidePeriod") > 0);
}

#[test]
fn an_analytics_export_converted_without_a_mapping_is_warned_about() {
    let dir = Workdir::new();
    let out = dir.file("out.json");
    let sample = repo("samples/immunisation.json");
    let (_, _, stderr) = dir.convert(&[s(&sample), "-o", s(&out)]);
    assert!(
        stderr.contains("no mapping (-m) was given: 109 values as analytics writes them"),
        "{stderr}"
    );
    let (_, _, stderr) = dir.convert(&[
        s(&sample),
        "-m",
        s(&repo("mappings/immunisation.xlsx")),
        "-o",
        s(&out),
    ]);
    assert!(!stderr.contains("no mapping (-m)"), "{stderr}");
}
