//! The promises under faults, for every command: a stderr or stdout that cannot be written
//! never panics; a disk that fills names the file; two runs into one folder never mix; an
//! interrupt's message and exit code say what is on disk; the import date is the local one.

use super::*;
use std::process::{Command as Std, Stdio};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("pi2de")
}

/// A good and a failing run of every command, in `dir`.
fn every_command(dir: &Workdir) -> Vec<Vec<String>> {
    fs::copy(repo("samples/immunisation.json"), dir.file("in.json")).unwrap();
    fs::copy(repo("mappings/immunisation.csv"), dir.file("m.csv")).unwrap();
    fs::copy(
        repo("tests/responses/2.42-warning.json"),
        dir.file("resp.json"),
    )
    .unwrap();
    let o = Std::new(bin())
        .current_dir(dir.path())
        .args([
            "convert", "in.json", "-m", "m.csv", "-o", "t.json", "--trace", "t.csv", "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    [
        "convert in.json -m m.csv -o out.json",
        "convert in.json -m m.csv -o -",
        "convert missing.json -o out.json",
        "inspect in.json",
        "inspect missing.json",
        "mapping check m.csv",
        "mapping check missing.xlsx",
        "mapping template -o tpl.xlsx",
        "compare t.json --with t.json",
        "compare missing.json --with t.json",
        "reconcile resp.json --trace t.csv",
        "request -m m.csv",
        "request -m missing.csv",
        "completions bash",
        "completions fish",
        "completions zsh",
        "completions powershell",
        "man",
        "--help",
        "--version",
    ]
    .iter()
    .map(|s| words(s))
    .collect()
}

fn no_panic(what: &str, out: &std::process::Output) {
    let code = out.status.code();
    assert!(matches!(code, Some(0..=3)), "{what}: exit {code:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_never_panics() {
    let dir = Workdir::new();
    for args in every_command(&dir) {
        let out = Std::new(bin())
            .current_dir(dir.path())
            .args(&args)
            .stdout(Stdio::null())
            .stderr(
                fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .unwrap();
        no_panic(&format!("{args:?} 2>/dev/full"), &out);
    }
}

#[test]
fn a_reader_that_goes_away_never_panics() {
    let dir = Workdir::new();
    for args in every_command(&dir) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Std::new(bin())
            .current_dir(dir.path())
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        no_panic(&format!("{args:?} | true"), &out);
        if args[0] == "completions" || args[0] == "man" {
            assert_eq!(out.status.code(), Some(0), "{args:?}");
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_summary_on_standard_output_into_a_full_device_is_not_a_success() {
    let dir = Workdir::new();
    fs::copy(repo("samples/immunisation.json"), dir.file("in.json")).unwrap();
    fs::copy(repo("mappings/immunisation.csv"), dir.file("m.csv")).unwrap();
    let out = Std::new(bin())
        .current_dir(dir.path())
        .args([
            "convert",
            "in.json",
            "-m",
            "m.csv",
            "-o",
            "out.json",
            "--summary",
            "-",
            "-q",
        ])
        .stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("standard output") && stderr.contains("out.json"),
        "names what was written and what not: {stderr}"
    );
}

/// `n` values of distinct keys as CSV.
fn values(n: usize, salt: usize) -> String {
    let mut csv = String::from("dataelement,period,orgunit,value\n");
    for i in 0..n {
        csv.push_str(&format!(
            "Pi{:09},2024{:02},OuAAAAAAAAA,{}\n",
            i % 500,
            i / 500 % 12 + 1,
            i + salt
        ));
    }
    csv
}

/// A mapping of 500 program indicators onto `sets` data sets named `{prefix}_N`.
fn split_mapping(dir: &Workdir, prefix: &str, sets: usize) -> PathBuf {
    let mut m = String::from("programIndicator,dataElement,dataSet\n");
    for i in 0..500 {
        m.push_str(&format!("Pi{i:09},DE_{i},{prefix}_{}\n", i % sets));
    }
    dir.write(&format!("{prefix}.csv"), &m)
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs prlimit (util-linux) to fill a disk; .ci/run runs it where installed"]
fn a_trace_that_fills_the_disk_names_its_file() {
    require_prlimit();
    let dir = Workdir::new();
    dir.write("in.csv", &values(4000, 0));
    let out = Std::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; exec prlimit --fsize=300000 {} convert in.csv -o out.csv --trace my-trace.csv",
            bin().display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--trace my-trace.csv: cannot write"),
        "{stderr}"
    );
    assert!(!dir.file("out.csv").exists() && !dir.file("my-trace.csv").exists());
}

/// The data files of a split folder, and the files its record lists.
fn folder_state(folder: &Path) -> (Vec<String>, Vec<String>) {
    let files: Vec<String> = files_in(folder)
        .into_iter()
        .filter(|f| !f.starts_with('.'))
        .collect();
    let record: Value = fs::read_to_string(folder.join(".pi2de-files.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    let mut listed: Vec<String> = record["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    listed.sort();
    (files, listed)
}

#[test]
fn two_runs_into_one_folder_never_mix() {
    let dir = Workdir::new();
    let mapping = split_mapping(&dir, "A", 30);
    let folder = dir.file("out");
    // A reads its export from stdin and waits; B runs whole meanwhile, with other data sets.
    let mut a = Std::new(bin())
        .args([
            "convert",
            "-",
            "--from",
            "csv",
            "-m",
            s(&mapping),
            "-o",
            s(&folder),
        ])
        .args(["--split-by", "data-set", "-q"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = values(600, 0);
    let (head, tail) = text.split_at(text.len() / 2);
    let mut stdin = a.stdin.take().unwrap();
    stdin.write_all(head.as_bytes()).unwrap();
    let b_mapping = split_mapping(&dir, "B", 20);
    // Not `b.csv`: beside the mapping `B.csv` that is the same file on Windows and macOS.
    let b_input = dir.write("b-export.csv", &values(300, 7));
    let run_b = || {
        let args = [s(&b_input), "-m", s(&b_mapping), "-o", s(&folder)];
        Std::new(bin())
            .arg("convert")
            .args(args)
            .args(["--split-by", "data-set"])
            .output()
            .unwrap()
    };
    let b = run_b();
    assert!(
        matches!(b.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    stdin.write_all(tail.as_bytes()).unwrap();
    drop(stdin);
    let a = a.wait_with_output().unwrap();
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let (files, listed) = folder_state(&folder);
    assert_eq!(
        files, listed,
        "the folder holds exactly the last run's files"
    );
    assert_eq!(files.len(), 30);
    // A lock held by a live process stops a run; one left by a process gone is taken over.
    fs::write(folder.join(".pi2de-lock"), std::process::id().to_string()).unwrap();
    let held = run_b();
    let stderr = String::from_utf8_lossy(&held.stderr);
    assert_eq!(held.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another pi2de run"), "{stderr}");
    assert_eq!(folder_state(&folder).0.len(), 30, "nothing changed");
    // A process that has exited: this test program listing its tests runs everywhere.
    let mut gone = Std::new(std::env::current_exe().unwrap())
        .arg("--list")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    fs::write(folder.join(".pi2de-lock"), pid.to_string()).unwrap();
    let taken = run_b();
    assert!(
        matches!(taken.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(!folder.join(".pi2de-lock").exists(), "released");
    let (files, listed) = folder_state(&folder);
    assert_eq!((files.len(), files), (20, listed));
}

#[cfg(unix)]
#[test]
fn an_interrupt_says_what_is_on_disk() {
    let dir = Workdir::new();
    let mapping = split_mapping(&dir, "DS", 500);
    let folder = dir.file("out");
    let run = |input: &str, signal_after: Option<std::time::Duration>| {
        let child = Std::new(bin())
            .args(["convert", input, "-m", s(&mapping), "-o", s(&folder)])
            .args(["--split-by", "data-set", "--max-values", "1", "-q"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(d) = signal_after {
            std::thread::sleep(d);
            let _ = Std::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let first = dir.write("first.csv", &values(1500, 0));
    assert_eq!(run(s(&first), None).0, Some(0));
    let old = folder_state(&folder);
    let old_bytes: Vec<Vec<u8>> = old
        .0
        .iter()
        .map(|f| fs::read(folder.join(f)).unwrap())
        .collect();
    let second = dir.write("second.csv", &values(1500, 1));
    let mut outcomes = std::collections::BTreeSet::new();
    for step in 0..24u64 {
        let (code, stderr) = run(
            s(&second),
            Some(std::time::Duration::from_millis(step * 15)),
        );
        let (files, listed) = folder_state(&folder);
        assert_eq!(
            files, listed,
            "step {step}: record and files agree ({code:?} {stderr})"
        );
        let bytes: Vec<Vec<u8>> = files
            .iter()
            .map(|f| fs::read(folder.join(f)).unwrap())
            .collect();
        match code {
            Some(130) => {
                assert!(stderr.contains("no output was written"), "{stderr}");
                assert_eq!(
                    bytes, old_bytes,
                    "step {step}: exit 130 leaves the earlier run"
                );
            }
            Some(0) => assert_ne!(bytes, old_bytes, "step {step}: exit 0 is the new run"),
            // Killed before the handler was installed: nothing had begun.
            None => assert_eq!(bytes, old_bytes, "step {step}: killed at the start"),
            other => panic!("step {step}: exit {other:?}: {stderr}"),
        }
        outcomes.insert(code);
        // Back to the earlier run for the next step.
        assert_eq!(run(s(&first), None).0, Some(0));
    }
    assert!(
        outcomes.contains(&Some(130)),
        "some interrupts came in time: {outcomes:?}"
    );
}

/// An interrupt that arrives once the files are moving into place (here: while the summary,
/// printed last, waits for a reader) is held: the run ends with its own code and says so.
#[cfg(unix)]
#[test]
fn an_interrupt_after_the_move_into_place_is_not_reported_as_nothing_written() {
    let dir = Workdir::new();
    let mapping = split_mapping(&dir, "DS", 50);
    let folder = dir.file("out");
    // Unmapped values make a summary far larger than a pipe holds.
    let mut text = values(500, 0);
    for i in 0..5000 {
        text.push_str(&format!("PiUNMAPPED{i:05},202401,OuAAAAAAAAA,1\n"));
    }
    let input = dir.write("in.csv", &text);
    let child = Std::new(bin())
        .args(["convert", s(&input), "-m", s(&mapping), "-o", s(&folder)])
        .args(["--split-by", "data-set", "--summary", "-", "-q"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let record = folder.join(".pi2de-files.json");
    let started = std::time::Instant::now();
    while !record.exists() {
        assert!(
            started.elapsed().as_secs() < 60,
            "the files never moved into place"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    Std::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the run's own code: {stderr}");
    assert!(!stderr.contains("no output was written"), "{stderr}");
    assert!(
        stderr.contains("interrupted while the files were moved into place"),
        "{stderr}"
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["exitCode"], 1);
    let (files, listed) = folder_state(&folder);
    assert_eq!((files.len(), &files), (50, &listed));
}

/// `--exclude-current` leaves out the local day that has not ended, and takes the one before.
/// (Unix only: the zone is set per process with `TZ`, and `date` says the day there; Windows
/// reads its local date with `GetLocalTime`, `config.rs`.)
#[cfg(unix)]
#[test]
fn the_import_date_is_the_local_date() {
    let dir = Workdir::new();
    // Between them, one of these zones is on another date than UTC at any hour.
    for tz in ["Etc/GMT-14", "Etc/GMT+12"] {
        let day = |when: &str| {
            let out = Std::new("date")
                .env("TZ", tz)
                .args(["-d", when, "+%Y%m%d"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        let (today, yesterday) = (day("now"), day("yesterday"));
        let input = dir.write(
            "in.csv",
            &format!(
                "dataelement,period,orgunit,value\nDeAAAAAAAAA,{today},OuAAAAAAAAA,1\nDeAAAAAAAAA,{yesterday},OuAAAAAAAAA,2\n"
            ),
        );
        let out = dir.file("out.json");
        let summary = dir.file("s.json");
        let o = Std::new(bin())
            .env("TZ", tz)
            .args([
                "convert",
                s(&input),
                "-o",
                s(&out),
                "--exclude-current",
                "--summary",
                s(&summary),
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{tz}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let values = json_values(&out);
        assert_eq!(values.len(), 1, "{tz}");
        assert_eq!(
            values[0]["period"],
            yesterday.as_str(),
            "{tz}: today {today}"
        );
    }
}
