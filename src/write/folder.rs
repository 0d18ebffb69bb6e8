//! The output folder of `--split-by`: pi2de records the files it wrote there, with their
//! SHA-256, in `.pi2de-files.json`. A later run into the same folder replaces exactly those
//! files (removing the ones it does not write again), so the folder never mixes parts of two
//! runs; any other file in it (not written by pi2de, or changed since) stops the run before
//! anything is read, naming the files.

use crate::words::count;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::model::hex;

/// The record's file name in the folder.
pub const RECORD: &str = ".pi2de-files.json";

/// The lock a run holds on the folder while it writes there, holding its process id.
pub const LOCK: &str = ".pi2de-lock";

/// A run's hold on an output folder: two runs into one folder would mix their parts and
/// records. Taken with an exclusive create; released when dropped (after the move into place)
/// or on an interrupt; a lock left by a process that is gone is taken over.
#[derive(Debug)]
pub struct Lock {
    path: std::path::PathBuf,
}

impl Lock {
    pub fn take(folder: &str) -> Result<Lock> {
        let path = Path::new(folder).join(LOCK);
        for _ in 0..3 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    crate::cleanup::register(&path);
                    let lock = Lock { path };
                    use std::io::Write;
                    write!(f, "{}", std::process::id())
                        .with_context(|| format!("{}: cannot write", lock.path.display()))?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    check_unlocked(folder)?;
                    // The run that held it is gone: take it over.
                    let _ = fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("{}: cannot create", path.display()));
                }
            }
        }
        bail!("{}: cannot take the folder's lock", path.display())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        crate::cleanup::unregister(&self.path);
    }
}

/// Refuses a folder another live pi2de run is writing into.
pub fn check_unlocked(folder: &str) -> Result<()> {
    let path = Path::new(folder).join(LOCK);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(());
    };
    let pid: Option<u32> = text.trim().parse().ok();
    match pid {
        Some(pid) if pid != std::process::id() && !super::staging::gone(pid, &path) => bail!(
            "{folder}: another pi2de run (process {pid}) is writing into this folder; wait for \
             it to finish, or, if none is running, remove {}",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// The files an earlier run wrote into `folder` and that are still as it wrote them, to be
/// replaced; an error naming every other file. A missing or empty folder has none.
pub fn earlier_files(folder: &str) -> Result<Vec<String>> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Ok(Vec::new());
    };
    let mut present = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{folder}: cannot list the folder"))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name != RECORD && name != LOCK && !is_temporary(&name) {
            present.push(name);
        }
    }
    present.sort();
    if present.is_empty() {
        return Ok(Vec::new());
    }
    let recorded: std::collections::HashMap<String, String> = record(folder)?.into_iter().collect();
    let foreign: Vec<&String> = present
        .iter()
        .filter(|name| {
            let sha = recorded.get(name.as_str()).map(String::as_str);
            sha.is_none() || sha != digest(&Path::new(folder).join(name)).as_deref()
        })
        .collect();
    if !foreign.is_empty() {
        let names: Vec<&str> = foreign.iter().take(10).map(|n| n.as_str()).collect();
        bail!(
            "{folder}: the folder holds {} that pi2de's last run here did not write, or \
             that changed since: {}{}; they would be imported with this run's files. Move them \
             away, or choose an empty or new folder",
            count(foreign.len() as u64, "file"),
            names.join(", "),
            if foreign.len() > 10 { ", …" } else { "" }
        );
    }
    Ok(present)
}

/// The record of a run's files: `(file name, sha256)`.
pub fn record_text(files: &[(String, String)]) -> String {
    let files: Vec<Value> = files
        .iter()
        .map(|(name, sha)| json!({ "name": name, "sha256": sha }))
        .collect();
    let text = json!({
        "tool": format!("pi2de {}", env!("CARGO_PKG_VERSION")),
        "about": "the files pi2de wrote into this folder; the next run into it replaces them",
        "files": files,
    });
    serde_json::to_string_pretty(&text).unwrap_or_default() + "\n"
}

/// The files the folder's record lists (none without a record).
fn record(folder: &str) -> Result<Vec<(String, String)>> {
    let path = Path::new(folder).join(RECORD);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: is damaged; remove it to start again", path.display()))?;
    let files = v["files"].as_array().cloned().unwrap_or_default();
    Ok(files
        .iter()
        .filter_map(|f| {
            Some((
                f["name"].as_str()?.to_string(),
                f["sha256"].as_str()?.to_string(),
            ))
        })
        .collect())
}

fn digest(path: &Path) -> Option<String> {
    file_sha256(path.to_str()?)
}

/// The SHA-256 of a file, read in pieces (`None` when it cannot be read).
pub fn file_sha256(path: &str) -> Option<String> {
    use std::io::Read;
    let mut file = fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Some(hex(&hasher.finalize()))
}

/// A temporary file of a run (`.pi2de-PID-XXXXXX.tmp`): not part of any output.
fn is_temporary(name: &str) -> bool {
    name.starts_with(".pi2de-") && name.ends_with(".tmp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_recorded_and_unchanged_may_be_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_str().unwrap();
        assert!(earlier_files(folder).unwrap().is_empty(), "empty folder");
        fs::write(dir.path().join("A.json"), "a").unwrap();
        let err = earlier_files(folder).unwrap_err().to_string();
        assert!(err.contains("A.json"), "no record: {err}");
        let sha = digest(&dir.path().join("A.json")).unwrap();
        fs::write(
            dir.path().join(RECORD),
            record_text(&[("A.json".into(), sha)]),
        )
        .unwrap();
        fs::write(dir.path().join(".pi2de-1-abc.tmp"), "x").unwrap();
        assert_eq!(earlier_files(folder).unwrap(), ["A.json"]);
        fs::write(dir.path().join("A.json"), "edited").unwrap();
        assert!(
            earlier_files(folder)
                .unwrap_err()
                .to_string()
                .contains("A.json")
        );
    }
}
