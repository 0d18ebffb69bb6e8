//! A serve session: a temporary folder holding the files uploaded (`uploads/`) and what each
//! run wrote (`run-N/`). A run is `pi2de convert` (this binary) in its own folder, with the
//! summary, the trace and the audit workbook beside the output; its standard error is the
//! console text the page shows, its progress lines the page's progress bar.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::read::PROGRESS_LINE;

/// A refusal: the HTTP status and why.
type Refusal = (u16, String);

/// What the page asks a run to do: uploads by number, options as `convert` names them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    exports: Vec<usize>,
    mapping: Option<usize>,
    target_metadata: Option<usize>,
    /// json, csv or xml.
    format: String,
    #[serde(default)]
    gzip: bool,
    #[serde(default)]
    on_duplicate: String,
    #[serde(default)]
    on_unmapped: String,
    #[serde(default)]
    periods: String,
    #[serde(default)]
    exclude_current: bool,
    #[serde(default)]
    as_of: String,
}

/// The roles of uploads, as the page names them.
const ROLES: [&str; 3] = ["export", "mapping", "metadata"];

struct Upload {
    role: String,
    /// The file's name in `uploads/`.
    name: String,
}

/// The files a run offers, by kind: the output, the summary, the trace, the audit workbook.
const SUMMARY: &str = "run.json";
const TRACE: &str = "trace.csv";
const REPORT: &str = "audit.xlsx";

#[derive(Default)]
struct Progress {
    done: bool,
    exit_code: Option<i32>,
    bytes: u64,
    total: u64,
    console: String,
}

struct Run {
    output: String,
    progress: Mutex<Progress>,
    child: Mutex<Option<Child>>,
}

pub struct Session {
    folder: tempfile::TempDir,
    max_upload: u64,
    uploads: Mutex<Vec<Upload>>,
    runs: Mutex<Vec<Arc<Run>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A file name as the page gave it, made safe to store: its last path part, with only
/// letters, digits, `.`, `-`, `_`, spaces and parentheses, not starting with a dot.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let kept = kept.trim_start_matches(['.', ' ', '-']).trim_end();
    if kept.is_empty() {
        "file".into()
    } else {
        kept.chars().take(120).collect()
    }
}

impl Session {
    pub fn new(max_upload: u64) -> Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("pi2de-serve-")
            .tempdir()
            .context("cannot make the session's folder")?;
        std::fs::create_dir(folder.path().join("uploads"))
            .context("cannot make the session's folder")?;
        Ok(Session {
            folder,
            max_upload,
            uploads: Mutex::new(Vec::new()),
            runs: Mutex::new(Vec::new()),
        })
    }

    pub fn dir(&self) -> &Path {
        self.folder.path()
    }

    /// Stores an upload of `role`; `declared` is its Content-Length, when sent. Returns its
    /// number and name.
    pub fn upload(
        &self,
        role: &str,
        name: &str,
        declared: Option<u64>,
        body: &mut dyn Read,
    ) -> Result<Value, Refusal> {
        if !ROLES.contains(&role) {
            return Err((400, format!("no upload role `{role}`")));
        }
        let too_large = || {
            (
                413,
                format!(
                    "{name}: larger than this session takes ({} MB; pi2de serve --max-upload SIZE takes more)",
                    self.max_upload >> 20
                ),
            )
        };
        if declared.is_some_and(|n| n > self.max_upload) {
            return Err(too_large());
        }
        let stored = self.free_name(&safe_name(name));
        let path = self.dir().join("uploads").join(&stored);
        let written = File::create(&path)
            .and_then(|mut file| std::io::copy(&mut body.take(self.max_upload + 1), &mut file));
        match written {
            Ok(n) if n > self.max_upload => {
                let _ = std::fs::remove_file(&path);
                Err(too_large())
            }
            Ok(n) => {
                let mut uploads = lock(&self.uploads);
                uploads.push(Upload {
                    role: role.into(),
                    name: stored.clone(),
                });
                Ok(json!({ "id": uploads.len() - 1, "name": stored, "size": n }))
            }
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err((500, format!("{name}: could not be stored: {e}")))
            }
        }
    }

    /// `name`, or `2-name`, `3-name`… when an earlier upload has it.
    fn free_name(&self, name: &str) -> String {
        let uploads = lock(&self.uploads);
        let taken = |n: &str| uploads.iter().any(|u| u.name == n);
        let mut candidate = name.to_string();
        let mut n = 1;
        while taken(&candidate) {
            n += 1;
            candidate = format!("{n}-{name}");
        }
        candidate
    }

    /// The path of upload `id` from a run's folder; it must have `role`.
    fn upload_path(&self, id: usize, role: &str) -> Result<String, Refusal> {
        let uploads = lock(&self.uploads);
        match uploads.get(id) {
            Some(u) if u.role == role => Ok(format!("../uploads/{}", u.name)),
            _ => Err((400, format!("no {role} upload {id}"))),
        }
    }

    /// The arguments of `pi2de convert` for a run in its own folder: the files it writes are
    /// named there as the page offers them (`hmis.json`, not a path).
    fn arguments(&self, r: &RunRequest) -> Result<(Vec<String>, String), Refusal> {
        if !["json", "csv", "xml"].contains(&r.format.as_str()) {
            return Err((400, format!("no output format `{}`", r.format)));
        }
        if r.exports.is_empty() {
            return Err((400, "choose the export file(s) first".into()));
        }
        let mut args = vec!["convert".to_string()];
        for &id in &r.exports {
            args.push(self.upload_path(id, "export")?);
        }
        if let Some(id) = r.mapping {
            args.extend(["-m".into(), self.upload_path(id, "mapping")?]);
        }
        if let Some(id) = r.target_metadata {
            args.extend([
                "--target-metadata".into(),
                self.upload_path(id, "metadata")?,
            ]);
        }
        let output = format!("hmis.{}{}", r.format, if r.gzip { ".gz" } else { "" });
        args.extend(
            [
                ("-o", &output),
                ("--summary", &SUMMARY.to_string()),
                ("--trace", &TRACE.to_string()),
                ("--report", &REPORT.to_string()),
            ]
            .into_iter()
            .flat_map(|(flag, name)| [flag.to_string(), name.clone()]),
        );
        args.push("--progress-lines".into());
        // `--flag=value`: a value starting with `-` stays a value.
        for (flag, value) in [
            ("--on-duplicate", &r.on_duplicate),
            ("--on-unmapped", &r.on_unmapped),
            ("--periods", &r.periods),
            ("--as-of", &r.as_of),
        ] {
            if !value.trim().is_empty() {
                args.push(format!("{flag}={}", value.trim()));
            }
        }
        if r.exclude_current {
            args.push("--exclude-current".into());
        }
        Ok((args, output))
    }

    /// Starts a run; one at a time.
    pub fn start(&self, r: &RunRequest) -> Result<usize, Refusal> {
        let mut runs = lock(&self.runs);
        if runs.last().is_some_and(|run| !lock(&run.progress).done) {
            return Err((409, "a run is under way: wait for it to end".into()));
        }
        let id = runs.len() + 1;
        let dir = self.dir().join(format!("run-{id}"));
        let (args, output) = self.arguments(r)?;
        let internal = |e: std::io::Error| (500, format!("the run could not start: {e}"));
        std::fs::create_dir(&dir).map_err(internal)?;
        let exe = std::env::current_exe().map_err(internal)?;
        let mut child = Command::new(exe)
            .args(&args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(internal)?;
        let stderr = child.stderr.take();
        let run = Arc::new(Run {
            output,
            progress: Mutex::new(Progress::default()),
            child: Mutex::new(Some(child)),
        });
        runs.push(Arc::clone(&run));
        std::thread::spawn(move || follow(&run, stderr));
        Ok(id)
    }

    fn run(&self, id: usize) -> Option<Arc<Run>> {
        lock(&self.runs).get(id.checked_sub(1)?).cloned()
    }

    /// Where run `id` is: its progress, console text, and once done its exit code, summary and
    /// files.
    pub fn status(&self, id: usize) -> Option<Value> {
        let run = self.run(id)?;
        let p = lock(&run.progress);
        let dir = self.dir().join(format!("run-{id}"));
        let (summary, files) = if p.done {
            let summary = std::fs::read(dir.join(SUMMARY))
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let files: Vec<Value> = [run.output.as_str(), SUMMARY, TRACE, REPORT]
                .iter()
                .filter_map(|name| {
                    let meta = std::fs::metadata(dir.join(name)).ok()?;
                    Some(json!({ "name": name, "size": meta.len() }))
                })
                .collect();
            (summary, files)
        } else {
            (None, Vec::new())
        };
        Some(json!({
            "run": id, "done": p.done, "exitCode": p.exit_code,
            "bytes": p.bytes, "total": p.total, "console": p.console,
            "summary": summary, "files": files,
        }))
    }

    /// A file of run `id`, once it is done: the file, its size and its name.
    pub fn file(&self, id: usize, name: &str) -> Option<(File, u64, String)> {
        let run = self.run(id)?;
        if !lock(&run.progress).done
            || ![run.output.as_str(), SUMMARY, TRACE, REPORT].contains(&name)
        {
            return None;
        }
        let path: PathBuf = self.dir().join(format!("run-{id}")).join(name);
        let file = File::open(&path).ok()?;
        let len = file.metadata().ok()?.len();
        Some((file, len, name.to_string()))
    }

    /// Stops the runs under way and removes the session's folder.
    pub fn stop(&self) {
        for run in lock(&self.runs).iter() {
            if let Some(child) = lock(&run.child).as_mut() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(self.dir());
    }
}

/// Reads a run's standard error to its end (progress lines apart), then waits for its exit.
fn follow(run: &Run, stderr: Option<std::process::ChildStderr>) {
    if let Some(stderr) = stderr {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut p = lock(&run.progress);
            match line.strip_prefix(PROGRESS_LINE) {
                Some(rest) => {
                    let mut numbers = rest.split_whitespace().map(|n| n.parse().unwrap_or(0));
                    p.bytes = numbers.next().unwrap_or(0);
                    p.total = numbers.next().unwrap_or(0);
                }
                None => {
                    p.console.push_str(&line);
                    p.console.push('\n');
                }
            }
        }
    }
    loop {
        let exited = match lock(&run.child).as_mut() {
            Some(child) => child.try_wait().map(|s| s.map(|s| s.code())),
            None => Ok(Some(None)),
        };
        match exited {
            Ok(Some(code)) => {
                let mut p = lock(&run.progress);
                p.exit_code = code;
                p.done = true;
                *lock(&run.child) = None;
                return;
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(_) => {
                lock(&run.progress).done = true;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn uploaded_names_keep_their_last_part_and_plain_characters() {
        assert_eq!(safe_name("export.json"), "export.json");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(
            safe_name("C:\\Users\\a\\Mapping (v2).xlsx"),
            "Mapping (v2).xlsx"
        );
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name("-o"), "o");
        assert_eq!(safe_name("a;b|c$.csv"), "a_b_c_.csv");
        assert_eq!(safe_name("Données.csv"), "Données.csv");
        assert_eq!(safe_name(""), "file");
    }
}
