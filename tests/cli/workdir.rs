//! The work-folder helper and the helpers every test module shares.

use assert_cmd::Command;
use rust_xlsxwriter::Workbook;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A temporary work folder for one test (after xsv's `tests/workdir.rs`): files are written
/// into it, pi2de runs in it, and it is removed when the test ends. It dereferences to its
/// [`TempDir`], so the helpers below take either.
pub(crate) struct Workdir {
    dir: TempDir,
}

impl Workdir {
    pub(crate) fn new() -> Workdir {
        Workdir {
            dir: TempDir::new().expect("a temporary folder"),
        }
    }

    /// The path of a file in the folder.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the folder and returns its path.
    pub(crate) fn write(&self, name: &str, content: &str) -> PathBuf {
        write(&self.dir, name, content)
    }

    /// Runs `pi2de convert ARGS --summary …` and returns the exit code, the summary (checked for
    /// the reconciliation) and standard error.
    pub(crate) fn convert(&self, args: &[&str]) -> (i32, Value, String) {
        convert(&self.dir, args)
    }

    /// Runs `pi2de ARGS` in the folder; returns the exit code (-1 when killed by a signal) and
    /// standard error.
    pub(crate) fn run(&self, args: &[&str]) -> (i32, String) {
        let out = output(pi2de().current_dir(self.dir.path()).args(args));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), stderr)
    }

    /// The names of the files in the folder, sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        files_in(self.dir.path())
    }
}

impl std::ops::Deref for Workdir {
    type Target = TempDir;
    fn deref(&self) -> &TempDir {
        &self.dir
    }
}

pub(crate) fn pi2de() -> Command {
    Command::cargo_bin("pi2de").expect("the pi2de binary")
}

/// Runs `cmd` and returns what it printed. A run that could not be started at all is started
/// again, up to three times in all: Wine, under which CI runs the Windows suite, now and then
/// fails to create a process ("Internal error", os error 1359). pi2de never ran then, so
/// nothing it does is repeated; what it does when it runs is never retried.
pub(crate) fn output(cmd: &mut Command) -> std::process::Output {
    let mut failed = 0;
    loop {
        match cmd.output() {
            Ok(out) => return out,
            Err(e) if failed < 2 => {
                failed += 1;
                eprintln!("pi2de could not be started ({e}); starting it again");
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Err(e) => panic!("run pi2de: {e}"),
        }
    }
}

pub(crate) fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A file of the shared reference folder. The tests that need it are `#[ignore]`d with the
/// reason (a plain `cargo test` lists them as ignored, never as passed); `.ci/run` runs them
/// with `--ignored` when the folder is there, and then a missing file is a failure.
pub(crate) fn shared(path: &str) -> PathBuf {
    let p = repo("../shared/reference").join(path);
    assert!(
        p.exists(),
        "{} is absent: this test needs ../shared/reference beside the clone",
        p.display()
    );
    p
}

/// `prlimit` (util-linux), which the disk-full tests need: they are `#[ignore]`d with the
/// reason, `.ci/run` runs them where it is installed, and then its absence is a failure.
pub(crate) fn require_prlimit() {
    let found = std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok();
    assert!(found, "this test needs prlimit (util-linux)");
}

pub(crate) fn write(dir: &TempDir, name: &str, content: &str) -> PathBuf {
    let p = dir.path().join(name);
    fs::write(&p, content).expect("write test file");
    p
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `pi2de convert` with `args` plus `--summary`, checks that the summary reconciles
/// (read = written + sum of left out) and returns the exit code, the summary and stderr.
pub(crate) fn convert(dir: &TempDir, args: &[&str]) -> (i32, Value, String) {
    let summary = dir.path().join("summary.json");
    let _ = fs::remove_file(&summary);
    let out = output(
        pi2de()
            .arg("convert")
            .args(args)
            .arg("--summary")
            .arg(&summary),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().expect("exit code");
    let summary: Value = match fs::read_to_string(&summary) {
        Ok(text) => serde_json::from_str(&text).expect("summary is JSON"),
        Err(_) => Value::Null,
    };
    if !summary.is_null() {
        let c = &summary["counts"];
        let left: u64 = c["leftOut"]
            .as_object()
            .expect("leftOut")
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(
            c["read"].as_u64().unwrap(),
            c["written"].as_u64().unwrap() + left,
            "reconciliation: {c}"
        );
        assert_eq!(
            summary["exitCode"].as_i64().unwrap() as i32,
            code,
            "summary exit code"
        );
    }
    (code, summary, stderr)
}

pub(crate) fn left(summary: &Value, reason: &str) -> u64 {
    summary["counts"]["leftOut"][reason]
        .as_u64()
        .unwrap_or_else(|| panic!("no reason {reason}"))
}

pub(crate) fn json_values(path: &Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_str(&fs::read_to_string(path).expect("output")).expect("output JSON");
    v["dataValues"].as_array().expect("dataValues").clone()
}

/// `dataElement period orgUnit coc aoc = value` for each output value, sorted.
pub(crate) fn keyed(values: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = values
        .iter()
        .map(|v| {
            let f = |k: &str| v[k].as_str().unwrap_or("").to_string();
            format!(
                "{} {} {} {} {} = {}",
                f("dataElement"),
                f("period"),
                f("orgUnit"),
                f("categoryOptionCombo"),
                f("attributeOptionCombo"),
                f("value")
            )
        })
        .collect();
    out.sort();
    out
}

/// Files in `dir` other than the ones named: no stray temporary files.
pub(crate) fn assert_only(dir: &TempDir, names: &[&str]) {
    let mut found: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !names.contains(&n.as_str()))
        .collect();
    found.sort();
    assert!(found.is_empty(), "unexpected files: {found:?}");
}

/// A mapping workbook: `rows` go below a title row and the header; cells that parse as numbers
/// are written as numbers (as Excel would store typed codes).
pub(crate) fn xlsx_mapping(
    dir: &TempDir,
    name: &str,
    header: &[&str],
    rows: &[&[&str]],
    org_units: Option<&[(&str, &str)]>,
) -> PathBuf {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet().set_name("Mapping").unwrap();
    sheet
        .write_string(0, 0, "Mapping for the test programme")
        .unwrap();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (3 + r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n).unwrap(),
                Err(_) => sheet.write_string(r, c, *cell).unwrap(),
            };
        }
    }
    if let Some(ous) = org_units {
        let sheet = wb.add_worksheet().set_name("orgUnits").unwrap();
        sheet.write_string(0, 0, "source").unwrap();
        sheet.write_string(0, 1, "target").unwrap();
        for (r, (a, b)) in ous.iter().enumerate() {
            sheet.write_string(r as u32 + 1, 0, *a).unwrap();
            sheet.write_string(r as u32 + 1, 1, *b).unwrap();
        }
    }
    let p = dir.path().join(name);
    wb.save(&p).unwrap();
    p
}

pub(crate) const SAMPLES: [&str; 3] = [
    "samples/immunisation.json",
    "samples/immunisation.xml",
    "samples/immunisation.csv",
];

/// Files in `dir` (hidden temporary ones too), sorted.
pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// A small deterministic generator (xorshift) for the tests that generate their inputs, so
/// that a failing case can be run again.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}
