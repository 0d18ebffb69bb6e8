//! What pi2de shows and prints for people to run: every shell word it prints is one word in a
//! real shell, whatever the ids and paths hold; the CSVs made for spreadsheets carry no live
//! formula; nothing from an input reaches the terminal as a control sequence.

use super::*;

/// Texts an id, a path or a cell might hold that a shell would act on.
const SHELL_HOSTILE: [&str; 7] = [
    "it's",
    "$(touch pwned1)",
    "`touch pwned2`",
    "a;touch pwned3",
    "x|touch pwned4",
    "sp ace&",
    "new\nline",
];

/// A folder with a `curl` that records its arguments (NUL-separated, one call per file).
#[cfg(unix)]
fn fake_curl(dir: &Workdir) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.file("bin");
    fs::create_dir_all(&bin).unwrap();
    let curl = bin.join("curl");
    fs::write(
        &curl,
        "#!/bin/sh\nn=$(ls \"$CALLS\" | wc -l)\nprintf '%s\\0' \"$@\" > \"$CALLS/$n\"\n",
    )
    .unwrap();
    fs::set_permissions(&curl, fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(dir.file("calls")).unwrap();
    bin
}

/// Runs `script` with sh in `dir` and the fake curl first on the PATH; returns each call's
/// arguments.
#[cfg(unix)]
fn run_script(dir: &Workdir, script: &str) -> Vec<Vec<String>> {
    let bin = fake_curl(dir);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .env("PATH", path)
        .env("CALLS", dir.file("calls"))
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for i in 1..=4 {
        assert!(
            !dir.file(&format!("pwned{i}")).exists(),
            "the script ran a command"
        );
    }
    let mut calls: Vec<PathBuf> = fs::read_dir(dir.file("calls"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    calls.sort();
    calls
        .iter()
        .map(|c| {
            fs::read_to_string(c)
                .unwrap()
                .split_terminator('\0')
                .map(String::from)
                .collect()
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn the_request_script_runs_as_printed_whatever_the_ids_and_server() {
    for (i, hostile) in SHELL_HOSTILE.iter().enumerate() {
        let dir = Workdir::new();
        let id = hostile.replace('\n', " ");
        let mapping = dir.write(
            "m.csv",
            &format!("programIndicator,dataElement\n\"Pi{id}\",DE_A\nPiBBBBBBBBB,DE_B\n"),
        );
        let server = format!("https://tracker.example/{id}");
        let out = pi2de()
            .args(["request", "-m", s(&mapping), "--server", &server])
            .args(["--org-unit", &format!("Ou{id}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{i}");
        let script = String::from_utf8(out.stdout).unwrap();
        let calls = run_script(&dir, &script);
        assert_eq!(calls.len(), 1, "{i}: {script}");
        let url = calls[0].last().unwrap();
        let listed = pi2de()
            .args([
                "request",
                "-m",
                s(&mapping),
                "--server",
                &server,
                "--urls-only",
            ])
            .args(["--org-unit", &format!("Ou{id}")])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(listed.stdout).unwrap().trim_end(),
            url,
            "{i}: curl gets the URL as printed by --urls-only"
        );
        assert!(url.starts_with(&server), "{i}: {url}");
        assert_eq!(
            calls[0][..5],
            ["-u", "USER", "--fail", "-o", "export-1.json"],
            "{i}"
        );
    }
}

#[cfg(unix)]
#[test]
fn the_printed_follow_up_and_import_lines_are_one_word_per_path() {
    for (i, hostile) in SHELL_HOSTILE.iter().enumerate() {
        let dir = Workdir::new();
        // The mapping's path in the `# then:` comment never escapes the comment.
        let name = format!("map {}.csv", hostile.replace('\n', "_"));
        let mapping = dir.write(&name, "programIndicator,dataElement\nPiAAAAAAAAA,DE_A\n");
        let out = pi2de()
            .args(["request", "-m", s(&mapping)])
            .output()
            .unwrap();
        let script = String::from_utf8(out.stdout).unwrap();
        let comment = script.lines().last().unwrap();
        assert!(comment.starts_with("# then: pi2de convert"), "{script}");
        let calls = run_script(&dir, &script);
        assert_eq!(calls.len(), 1, "{i}: only the curl line runs");
        // The import line printed after a conversion: its path is one word.
        let out_name = format!("out {hostile}.json");
        let input = dir.write(
            "in.json",
            r#"{"dataValues":[{"dataElement":"DeAAAAAAAAA","period":"202401","orgUnit":"OuAAAAAAAAA","value":"1"}]}"#,
        );
        let out_path = dir.file(&out_name);
        let (code, _, stderr) = dir.convert(&[s(&input), "-o", s(&out_path)]);
        assert_eq!(code, 0, "{stderr}");
        let line = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("API: "))
            .unwrap_or_else(|| panic!("{stderr}"));
        // The console shows a line break in a name as `\n`-free text only when quoted: the
        // printed line is taken as one line here.
        if hostile.contains('\n') {
            continue;
        }
        let calls = run_script(&dir, line);
        let data = calls.last().unwrap();
        let at = data.iter().position(|a| a == "--data-binary").unwrap();
        assert_eq!(
            data[at + 1],
            format!("@{}", out_path.display()),
            "{i}: {line}"
        );
    }
}

/// Texts a spreadsheet would run as formulas.
const FORMULAS: [&str; 5] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "+1+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-2+3",
    "\tx",
];

/// The fields of a CSV made for people (a BOM first).
fn csv_fields(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// No field a spreadsheet would run: each starts with something else, or is a number.
fn assert_no_live_formula(path: &Path) {
    for row in csv_fields(path) {
        for f in row {
            let number = f.parse::<f64>().is_ok() && !f.contains(['i', 'n', 'I', 'N']);
            assert!(
                number || !f.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{}: live formula `{f}`",
                path.display()
            );
        }
    }
}

#[test]
fn csvs_for_people_carry_no_live_formula_and_keep_numbers() {
    let dir = Workdir::new();
    let mut mapping = String::from("programIndicator,dataElement\n");
    let mut input = String::from("dataelement,period,orgunit,value\n");
    for (i, f) in FORMULAS.iter().enumerate() {
        let q = f.replace('"', "\"\"");
        mapping.push_str(&format!("\"{q}\",\"{q}{i}\"\n"));
        input.push_str(&format!("\"{q}\",20240{},OuAAAAAAAAA,-{i}.5\n", i + 1));
    }
    let m = dir.write("m.csv", &mapping);
    let i = dir.write("in.csv", &input);
    let trace = dir.file("trace.csv");
    let out = dir.file("out.json");
    let (code, _, stderr) = dir.convert(&[
        s(&i),
        "-m",
        s(&m),
        "-o",
        s(&out),
        "--trace",
        s(&trace),
        "--org-unit-scheme",
        "uid",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_no_live_formula(&trace);
    let rows = csv_fields(&trace);
    let value = rows[0].iter().position(|h| h == "value").unwrap();
    assert_eq!(rows[1][value], "-0.5", "numbers stay numbers");
    // compare -o, with the same ids in the HMIS under other values.
    let hmis = dir.file("hmis.json");
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    for v in doc["dataValues"].as_array_mut().unwrap() {
        v["value"] = serde_json::json!("=1+1");
    }
    fs::write(&hmis, doc.to_string()).unwrap();
    let changes = dir.file("changes.csv");
    pi2de()
        .args([
            "compare",
            s(&out),
            "--with",
            s(&hmis),
            "-o",
            s(&changes),
            "-q",
        ])
        .assert()
        .code(1);
    assert_no_live_formula(&changes);
    // The DHIS2 CSV is written as it is: its ids are the ids.
    let dhis2 = dir.file("out.csv");
    let (code, _, stderr) = dir.convert(&[
        s(&i),
        "-m",
        s(&m),
        "-o",
        s(&dhis2),
        "--org-unit-scheme",
        "uid",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = fs::read_to_string(&dhis2).unwrap();
    assert!(text.contains("\n\"=HYPERLINK(\"\"http"), "{text}");
    assert!(text.contains("\n@SUM(A1)"), "{text}");
}

/// Control sequences an input might carry to a terminal.
const TERMINAL_HOSTILE: [&str; 5] = [
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J",
    "a\rb",
    "\u{9b}31m",
    "\u{202e}evil",
];

/// No byte of a terminal control sequence (other than line feed and tab) in `bytes`.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    });
    assert!(
        bad.is_none(),
        "{what}: {bad:?} reached the terminal in {text}"
    );
}

#[test]
fn control_characters_from_inputs_never_reach_the_terminal() {
    for (i, hostile) in TERMINAL_HOSTILE.iter().enumerate() {
        let dir = Workdir::new();
        let json_id = serde_json::to_string(&format!("Pi{hostile}")).unwrap();
        let input = dir.write(
            "in.json",
            &format!(
                r#"{{"dataValues":[{{"dataElement":{json_id},"period":"202401","orgUnit":"OuAAAAAAAAA","value":"1"}},{{"dataElement":"PiAAAAAAAAA","period":"202401","orgUnit":"OuAAAAAAAAA","value":"2"}}]}}"#
            ),
        );
        let cell = hostile.replace('"', "");
        let mapping = dir.write(
            "m.csv",
            &format!("programIndicator,dataElement\nPiAAAAAAAAA,DE_A\n\"{cell}\",\"{cell}\"\n"),
        );
        let out = dir.file("out.json");
        let runs: Vec<Vec<&str>> = vec![
            vec!["convert", s(&input), "-m", s(&mapping), "-o", s(&out)],
            vec!["convert", s(&input), "-o", s(&out)],
            vec!["inspect", s(&input)],
            vec!["mapping", "check", s(&mapping)],
            vec!["request", "-m", s(&mapping)],
            vec!["compare", s(&input), "--with", s(&input)],
        ];
        for args in runs {
            let o = pi2de().args(&args).output().unwrap();
            assert!(o.status.code().is_some_and(|c| c <= 3), "{i} {args:?}");
            assert_inert(&format!("{i} {args:?} stderr"), &o.stderr);
            assert_inert(&format!("{i} {args:?} stdout"), &o.stdout);
        }
        // A zip entry's name.
        let zip_path = dir.file("in.zip");
        let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
        zip.start_file(
            format!("x{hostile}.txt"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"not an export").unwrap();
        zip.finish().unwrap();
        let o = pi2de()
            .args(["convert", s(&zip_path), "-o", s(&out)])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert_inert(&format!("{i} zip"), &o.stderr);
    }
}
