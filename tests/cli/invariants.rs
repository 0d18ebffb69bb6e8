//! The invariants every command that writes holds, tested with generated cases across all of
//! them (not only convert): no output is a file read, in any spelling (`./`, `sub/../`, an
//! absolute path, a symbolic or hard link, another case); no two outputs are one file; at most
//! one output is standard output. A refusal is exit 2 with every file as it was.

use super::*;

/// One command that writes: its arguments up to the outputs, the files it reads, and each
/// output option with a file name of the kind it takes.
pub(crate) struct Job {
    pub(crate) args: Vec<&'static str>,
    pub(crate) reads: Vec<&'static str>,
    pub(crate) outputs: Vec<(&'static str, &'static str)>,
    /// Whether the command prints a report on stdout unless `-q` (then `-` is taken).
    pub(crate) console: bool,
}

/// Every command that writes a file, on valid inputs in `dir`.
pub(crate) fn jobs(dir: &Workdir) -> Vec<Job> {
    fs::copy(repo("samples/immunisation.json"), dir.file("in.json")).unwrap();
    fs::copy(repo("mappings/immunisation.csv"), dir.file("m.csv")).unwrap();
    fs::copy(repo("mappings/immunisation.xlsx"), dir.file("m.xlsx")).unwrap();
    fs::copy(
        repo("tests/responses/2.42-warning.json"),
        dir.file("resp.json"),
    )
    .unwrap();
    dir.write(
        "tracker.json",
        r#"{"programIndicators":[{"id":"PiAAAAAAAAA","name":"A","attributeValues":[]}]}"#,
    );
    let (code, _, stderr) = dir.convert(&[
        s(&dir.file("in.json")),
        "-m",
        s(&dir.file("m.csv")),
        "-o",
        s(&dir.file("transfer.json")),
        "--trace",
        s(&dir.file("trace.csv")),
    ]);
    assert_eq!(code, 1, "the sample leaves 10 values out: {stderr}");
    fs::copy(dir.file("transfer.json"), dir.file("hmis.json")).unwrap();
    let _ = fs::remove_file(dir.file("summary.json"));
    vec![
        Job {
            args: vec!["convert", "in.json", "-m", "m.csv"],
            reads: vec!["in.json", "m.csv"],
            outputs: vec![
                ("-o", "out.json"),
                ("--trace", "t.csv"),
                ("--summary", "s.json"),
                ("--report", "r.xlsx"),
                ("--complete", "c.json"),
            ],
            console: false,
        },
        Job {
            args: vec![
                "convert",
                "in.json",
                "-m",
                "m.csv",
                "--current",
                "hmis.json",
                "--remove-stale",
            ],
            reads: vec!["in.json", "m.csv", "hmis.json"],
            outputs: vec![("-o", "out.json"), ("--summary", "s.json")],
            console: false,
        },
        Job {
            args: vec!["compare", "transfer.json", "--with", "hmis.json"],
            reads: vec!["transfer.json", "hmis.json"],
            outputs: vec![
                ("-o", "changes.csv"),
                ("--summary", "s.json"),
                ("--report", "r.xlsx"),
            ],
            console: true,
        },
        Job {
            args: vec!["reconcile", "resp.json", "--trace", "trace.csv"],
            reads: vec!["resp.json", "trace.csv"],
            outputs: vec![("--summary", "s.json"), ("--report", "r.xlsx")],
            console: true,
        },
        Job {
            args: vec!["mapping", "check", "m.xlsx"],
            reads: vec!["m.xlsx"],
            outputs: vec![("--report", "r.xlsx")],
            console: false,
        },
        Job {
            args: vec!["mapping", "from-metadata", "tracker.json"],
            reads: vec!["tracker.json"],
            outputs: vec![("-o", "proposal.xlsx")],
            console: false,
        },
    ]
}

/// Other spellings of the file `name` in `dir`, made where they need a file (links); each
/// keeps the name's extension, so the output option takes it.
fn spellings(dir: &Workdir, name: &str) -> Vec<String> {
    let mut out = vec![
        format!("./{name}"),
        format!("sub/../{name}"),
        s(&dir.file(name)).to_string(),
        name.to_uppercase(),
    ];
    let _ = fs::create_dir(dir.file("sub"));
    #[cfg(unix)]
    {
        let soft = format!("soft-{name}");
        let hard = format!("hard-{name}");
        let _ = std::os::unix::fs::symlink(name, dir.file(&soft));
        let _ = fs::hard_link(dir.file(name), dir.file(&hard));
        out.extend([soft, hard]);
    }
    out
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Workdir) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walk(dir.path())
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap_or_default();
            (p.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Runs `args` in `dir`; asserts exit 2, `expect` in stderr and every file as it was.
fn refused(dir: &Workdir, args: &[&str], expect: &str) {
    let before = snapshot(dir);
    let out = pi2de().current_dir(dir.path()).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(expect),
        "{args:?}: `{expect}` not in {stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}: printed on stdout");
    assert_eq!(snapshot(dir), before, "{args:?}: files changed");
}

#[test]
fn no_command_writes_over_a_file_it_reads_in_any_spelling() {
    let dir = Workdir::new();
    let mut tried = 0;
    for job in jobs(&dir) {
        for (option, _) in &job.outputs {
            for input in &job.reads {
                // An .xlsx output takes only .xlsx names: the others are refused for that.
                let xlsx_only = ["--report", "-o"].contains(option)
                    && job
                        .outputs
                        .iter()
                        .any(|(o, n)| o == option && n.ends_with(".xlsx"));
                if xlsx_only && !input.ends_with(".xlsx") {
                    continue;
                }
                for spelling in spellings(&dir, input) {
                    let mut args = job.args.clone();
                    args.extend([*option, spelling.as_str()]);
                    if job.args[0] == "convert" && *option != "-o" {
                        args.extend(["-o", "out.json"]);
                    }
                    refused(&dir, &args, option);
                    tried += 1;
                }
            }
        }
    }
    assert!(tried >= 40, "{tried} cases");
}

#[test]
fn no_two_outputs_of_a_command_are_one_file() {
    let dir = Workdir::new();
    for job in jobs(&dir) {
        for (i, (first, name)) in job.outputs.iter().enumerate() {
            for (second, other) in &job.outputs[i + 1..] {
                // Both names with the first's extension when the second takes any name; the
                // pairs where both need .xlsx share one.
                let same_kind = name.rsplit('.').next() == other.rsplit('.').next();
                if !same_kind && other.ends_with(".xlsx") {
                    continue;
                }
                for spelling in [format!("./{name}"), name.to_uppercase()] {
                    let mut args = job.args.clone();
                    args.extend([*first, *name, *second, spelling.as_str()]);
                    if job.args[0] == "convert" && *first != "-o" {
                        args.extend(["-o", "out.json"]);
                    }
                    refused(&dir, &args, &format!("written by {first}"));
                }
            }
        }
    }
}

#[test]
fn standard_output_is_claimed_by_one_output_at_most() {
    let dir = Workdir::new();
    for job in jobs(&dir) {
        let to_stdout: Vec<&str> = job
            .outputs
            .iter()
            .filter(|(_, n)| !n.ends_with(".xlsx"))
            .map(|(o, _)| *o)
            .collect();
        for (i, first) in to_stdout.iter().enumerate() {
            for second in &to_stdout[i + 1..] {
                let mut args = job.args.clone();
                args.extend([*first, "-", *second, "-"]);
                if job.args[0] == "convert" && !args.contains(&"-o") {
                    args.extend(["-o", "out.json"]);
                }
                refused(&dir, &args, "would both write to standard output");
            }
            if job.console {
                let mut args = job.args.clone();
                args.extend([*first, "-"]);
                refused(&dir, &args, "-q leaves it out");
                args.push("-q");
                let out = pi2de()
                    .current_dir(dir.path())
                    .args(&args)
                    .output()
                    .unwrap();
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "{args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(!out.stdout.is_empty(), "{args:?}: the file on stdout");
            }
        }
    }
}
