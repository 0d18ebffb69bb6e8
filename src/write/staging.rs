//! Every file of a run is written in full to a temporary file beside its target first; only
//! when all of them are complete and on disk are they moved into place, one rename each, so a
//! full disk or a failed report leaves the earlier files as they were (exit 2: nothing
//! written). Should a rename fail after others succeeded (the folder changed under the run),
//! [`PartialCommit`] says which files were replaced and which were not (exit 3).
//!
//! Temporary files are named `.pi2de-PID-XXXXXX.tmp`: a run killed outright (SIGKILL, power
//! loss) leaves its temporary files behind, and the next run in that folder removes those whose
//! process is gone ([`remove_leftovers`]).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::{NamedTempFile, TempPath};

/// A finished temporary file and the path it will be moved to.
pub struct Staged {
    pub target: String,
    /// Deleted when dropped unless moved into place.
    temp: Option<TempPath>,
}

impl Staged {
    pub fn new(target: &str, temp: TempPath) -> Staged {
        Staged {
            target: target.to_string(),
            temp: Some(temp),
        }
    }
}

impl Staged {
    /// Flushes the finished temporary file to disk and gives it the usual `rw-r--r--` mode
    /// (temporary files are created private).
    pub fn sync(&self) -> io::Result<()> {
        let Some(temp) = &self.temp else {
            return Ok(());
        };
        // Opened for writing: Windows flushes a file (FlushFileBuffers) only through a handle
        // that may write; nothing is written through it.
        let file = File::options().write(true).open(temp)?;
        super::readable(&file)?;
        file.sync_all()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(t) = &self.temp {
            crate::cleanup::unregister(t);
        }
    }
}

/// The files of a run waiting to be moved into place, and earlier files to remove then.
#[derive(Default)]
pub struct Staging {
    staged: Vec<Staged>,
    removals: Vec<PathBuf>,
    /// Text printed on standard output once the files are in place (`--summary -`).
    stdout: Option<String>,
    /// Output folders held until the files are in place.
    locks: Vec<super::folder::Lock>,
}

impl Staging {
    pub fn add(&mut self, staged: Staged) {
        self.staged.push(staged);
    }

    /// Writes `bytes` in full to a temporary file for `path` (`-`: printed at the commit).
    pub fn bytes(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        if crate::location::is_standard(path) {
            self.stdout = Some(String::from_utf8_lossy(bytes).into_owned());
            return Ok(());
        }
        let dir = super::check_output(path)?;
        let mut file = temp_in(&dir, path)?;
        file.write_all(bytes)
            .and_then(|()| super::readable(file.as_file()))
            .and_then(|()| file.as_file().sync_all())
            .with_context(|| format!("{path}: cannot write"))?;
        self.add(Staged::new(path, file.into_temp_path()));
        Ok(())
    }

    /// Holds `lock` until the files are in place.
    pub fn hold(&mut self, lock: super::folder::Lock) {
        self.locks.push(lock);
    }

    /// Removes `path` when the staged files are moved into place (an earlier run's file).
    pub fn remove_at_commit(&mut self, path: PathBuf) {
        self.removals.push(path);
    }

    /// Moves every staged file into place, then removes what was asked.
    pub fn commit(mut self) -> Result<(), PartialCommit> {
        crate::cleanup::moving();
        let mut moved = Vec::new();
        let staged = std::mem::take(&mut self.staged);
        let mut rest = staged.into_iter();
        while let Some(s) = rest.next() {
            let target = s.target.clone();
            if let Err(e) = persist(s) {
                return Err(PartialCommit {
                    moved,
                    failed: (target, e.to_string()),
                    not_moved: rest.map(|s| s.target.clone()).collect(),
                });
            }
            moved.push(target);
        }
        for p in &self.removals {
            if let Err(e) = fs::remove_file(p)
                && e.kind() != io::ErrorKind::NotFound
            {
                return Err(PartialCommit {
                    moved,
                    failed: (p.display().to_string(), format!("cannot remove it: {e}")),
                    not_moved: Vec::new(),
                });
            }
        }
        if let Some(text) = self.stdout.take() {
            let printed = io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .and_then(|()| io::stdout().lock().flush());
            // A reader gone away (`| head`) is not a failed run; a full disk is.
            if let Err(e) = printed
                && e.kind() != io::ErrorKind::BrokenPipe
            {
                return Err(PartialCommit {
                    moved,
                    failed: ("standard output".into(), e.to_string()),
                    not_moved: Vec::new(),
                });
            }
        }
        Ok(())
    }
}

fn persist(mut s: Staged) -> io::Result<()> {
    let Some(temp) = s.temp.take() else {
        return Ok(());
    };
    crate::cleanup::unregister(&temp);
    // On failure the error holds the temporary file, which is deleted with it.
    temp.persist(&s.target).map_err(|e| e.error)
}

/// Some files were moved into place and others were not: the state on disk, told as it is.
#[derive(Debug)]
pub struct PartialCommit {
    pub moved: Vec<String>,
    pub failed: (String, String),
    pub not_moved: Vec<String>,
}

impl fmt::Display for PartialCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; ", self.failed.0, self.failed.1)?;
        if self.moved.is_empty() {
            write!(f, "no file was replaced")?;
        } else {
            write!(
                f,
                "these files were already replaced: {}",
                self.moved.join(", ")
            )?;
        }
        if !self.not_moved.is_empty() {
            write!(f, "; not written: {}", self.not_moved.join(", "))?;
        }
        write!(f, ". The files of this run disagree: run it again")
    }
}

impl std::error::Error for PartialCommit {}

/// A new temporary file in `dir` for `path`, named after this process, known to the interrupt
/// handler; earlier runs' leftovers in `dir` are removed first.
pub fn temp_in(dir: &Path, path: &str) -> Result<NamedTempFile> {
    // Once per folder and run: listing the folder for each of 3,000 parts made the cost
    // grow with the square of their number.
    static CLEANED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let first = CLEANED.lock().is_ok_and(|mut seen| {
        let new = !seen.iter().any(|d| d == dir);
        if new {
            seen.push(dir.to_path_buf());
        }
        new
    });
    if first {
        remove_leftovers(dir);
    }
    let file = tempfile::Builder::new()
        .prefix(&format!(".pi2de-{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("{path}: cannot create a file in {}", dir.display()))?;
    crate::cleanup::register(file.path());
    Ok(file)
}

/// Removes `.pi2de-PID-*.tmp` files in `dir` whose process is gone (a run killed outright).
/// Files of a live process, and any file not named so, are left alone.
pub fn remove_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(leftover_pid) else {
            continue;
        };
        if pid != std::process::id() && gone(pid, &entry.path()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The process id in a temporary file's name `.pi2de-PID-XXXXXX.tmp`.
fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".pi2de-")?.strip_suffix(".tmp")?;
    let (pid, random) = rest.split_once('-')?;
    (!random.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Whether the process that made a leftover is gone: no process has its id (signal 0 checks
/// without sending anything).
#[cfg(unix)]
pub fn gone(pid: u32, _file: &Path) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: kill with signal 0 sends nothing; it only reports whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

/// Whether the process that made a leftover is gone: no process has its id
/// (`OpenProcess` finds none), or the one found has exited (`GetExitCodeProcess`).
#[cfg(windows)]
pub fn gone(pid: u32, _file: &Path) -> bool {
    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_INVALID_PARAMETER, GetLastError, STILL_ACTIVE,
    };
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: OpenProcess only returns a handle (or null); GetExitCodeProcess writes the u32 it
    // is given; the handle is closed once.
    unsafe {
        let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if handle.is_null() {
            // No such process; access denied means one runs under another user.
            return GetLastError() == ERROR_INVALID_PARAMETER;
        }
        let mut code = 0u32;
        let asked = GetExitCodeProcess(handle, &mut code);
        CloseHandle(handle);
        asked != 0 && code != STILL_ACTIVE as u32
    }
}

/// Without a way to ask, a leftover is taken as gone once it is a day old.
#[cfg(not(any(unix, windows)))]
pub fn gone(_pid: u32, file: &Path) -> bool {
    let day = std::time::Duration::from_secs(24 * 3600);
    fs::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > day)
}

/// A staged file's temporary copy, read back (tests).
#[cfg(test)]
fn read(s: &Staged) -> String {
    s.temp
        .as_ref()
        .and_then(|t| fs::read_to_string(t).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_names_carry_their_process() {
        assert_eq!(leftover_pid(".pi2de-1234-a1B2c3.tmp"), Some(1234));
        assert_eq!(leftover_pid(".pi2de-a1B2c3.tmp"), None);
        assert_eq!(leftover_pid(".pi2de-1234-.tmp"), None);
        assert_eq!(leftover_pid("out.json"), None);
    }

    #[test]
    fn leftovers_of_gone_processes_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A child that has exited: its id is gone (and not reused this quickly). The child is
        // this test program listing its tests, which runs on every system.
        let me = std::env::current_exe().unwrap();
        let mut child = std::process::Command::new(me)
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let dead = dir.path().join(format!(".pi2de-{gone}-abcdef.tmp"));
        let mine = dir
            .path()
            .join(format!(".pi2de-{}-abcdef.tmp", std::process::id()));
        let other = dir.path().join("notes.tmp");
        for p in [&dead, &mine, &other] {
            File::create(p).unwrap();
        }
        remove_leftovers(dir.path());
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
    }

    #[test]
    fn all_files_move_together_or_the_state_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        let mut staging = Staging::default();
        staging.bytes(a.to_str().unwrap(), b"new a").unwrap();
        staging.bytes(b.to_str().unwrap(), b"new b").unwrap();
        assert_eq!(read(&staging.staged[0]), "new a");
        assert!(!a.exists(), "nothing in place before the commit");
        staging.commit().unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(fs::read_to_string(&b).unwrap(), "new b");
        // b's place becomes a folder holding a file after staging: its rename fails, a's did not.
        let mut staging = Staging::default();
        staging.bytes(a.to_str().unwrap(), b"newer a").unwrap();
        staging.bytes(b.to_str().unwrap(), b"newer b").unwrap();
        fs::remove_file(&b).unwrap();
        fs::create_dir(&b).unwrap();
        File::create(b.join("x")).unwrap();
        let partial = staging.commit().unwrap_err();
        assert_eq!(partial.moved, [a.to_str().unwrap()]);
        assert_eq!(partial.failed.0, b.to_str().unwrap());
        assert!(
            partial.to_string().contains("already replaced"),
            "{partial}"
        );
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files removed");
    }
}
