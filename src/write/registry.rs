//! The writer registry: every command registers the files it reads, then claims each file it
//! will write — before anything is read — and the registry refuses a claim that names a file
//! read, a file claimed already, or standard output a second time. Files are compared by what
//! they are, not how they are spelt: `./in.json`, `sub/../in.json`, an absolute path, a symlink
//! and a hard link are one file, and names that differ only in case are taken as one (they are
//! on Windows, macOS and the FAT sticks files travel on). The split parts of
//! `--split-by` are claimed through the same registry as they are named.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// What a path is: the file it names when it exists, and its canonical spelling (folded to
/// lower case) either way.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    file: Option<(u64, u64)>,
    spelling: String,
}

#[derive(Debug, Clone)]
struct Claim {
    what: String,
    path: String,
    read: bool,
}

/// The files of one run, read and written.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    claims: Vec<Claim>,
    by_file: HashMap<(u64, u64), usize>,
    by_spelling: HashMap<String, usize>,
    /// The option that prints on standard output, if one does.
    stdout: Option<String>,
}

impl Registry {
    /// Registers a file the run reads (`-`, standard input, is nothing to clash with).
    pub fn read(&mut self, what: &str, path: &str) {
        if crate::location::is_standard(path) {
            return;
        }
        if let Some(id) = identity(path) {
            self.insert(what, path, true, id);
        }
    }

    /// Claims the folder `--split-by` writes into: no other output may be it.
    pub fn folder(&mut self, what: &str, path: &str) {
        if let Some(id) = identity(path) {
            self.insert(what, path, false, id);
        }
    }

    /// Claims `path` for `what` to write: refused when it is standard output claimed already,
    /// a file read, or one claimed already; its folder must exist and it must not be a folder
    /// or a device.
    pub fn write(&mut self, what: &str, path: &str) -> Result<()> {
        if crate::location::is_standard(path) {
            if let Some(other) = &self.stdout {
                bail!(
                    "{other} and {what} would both write to standard output, one after the \
                     other in one stream; name a file for one of them"
                );
            }
            self.stdout = Some(what.to_string());
            return Ok(());
        }
        super::check_output(path)?;
        let Some(id) = identity(path) else {
            bail!("{path}: {what} cannot be resolved (a loop of links?); choose another name");
        };
        if let Some(c) = self.clash(&id, path) {
            let case = if c.path != path && c.path.to_lowercase() == path.to_lowercase() {
                " (the names differ only in case, which is one file on Windows, macOS and USB \
                 sticks)"
            } else {
                ""
            };
            if c.read {
                bail!(
                    "{path}: {what} names the file read as {} ({}){case}: it would overwrite \
                     the input; choose another name",
                    c.what,
                    c.path
                );
            }
            bail!(
                "{path}: {what} names the file written by {} ({}){case}; choose another name",
                c.what,
                c.path
            );
        }
        self.insert(what, path, false, id);
        Ok(())
    }

    /// Claims standard output for the report a command prints there unless `quiet`.
    pub fn console(&mut self, quiet: bool) -> Result<()> {
        if quiet {
            return Ok(());
        }
        self.write(
            "the report printed on standard output (-q leaves it out)",
            crate::location::STANDARD,
        )
    }

    /// Claims each file given (`None`: not asked for), in order.
    pub fn write_all(&mut self, outputs: &[(&str, Option<&str>)]) -> Result<()> {
        for (what, path) in outputs {
            if let Some(p) = path {
                self.write(what, p)?;
            }
        }
        Ok(())
    }

    /// The claim `id` would clash with, if any.
    fn clash(&self, id: &Identity, path: &str) -> Option<&Claim> {
        let by_file = id
            .file
            .and_then(|f| self.by_file.get(&f))
            .filter(|&&i| confirmed(&self.claims[i].path, path));
        by_file
            .or_else(|| self.by_spelling.get(&id.spelling))
            .map(|&i| &self.claims[i])
    }

    fn insert(&mut self, what: &str, path: &str, read: bool, id: Identity) {
        let i = self.claims.len();
        self.claims.push(Claim {
            what: what.to_string(),
            path: path.to_string(),
            read,
        });
        if let Some(f) = id.file {
            self.by_file.entry(f).or_insert(i);
        }
        self.by_spelling.entry(id.spelling).or_insert(i);
    }
}

/// What makes two spellings of a path the same file: the file itself when it exists (device
/// and inode), and the canonical path of an existing file, else (a file still to be written,
/// or a link to one) its canonical folder and its name, following links that point at files
/// not yet there.
fn identity(path: &str) -> Option<Identity> {
    let mut p = PathBuf::from(path);
    // A chain of links is followed a few steps; a loop gives up.
    for _ in 0..8 {
        if let Ok(c) = p.canonicalize() {
            return Some(Identity {
                file: file_id(&c),
                spelling: fold(&c),
            });
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match std::fs::read_link(&p) {
            Ok(target) => p = dir.join(target),
            Err(_) => {
                let full = dir.canonicalize().ok()?.join(p.file_name()?);
                return Some(Identity {
                    file: None,
                    spelling: fold(&full),
                });
            }
        }
    }
    None
}

fn fold(p: &Path) -> String {
    p.to_string_lossy().to_lowercase()
}

/// The file a path names (device and inode), without opening it.
#[cfg(unix)]
fn file_id(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// Device and inode say exactly which file a path is.
#[cfg(unix)]
fn confirmed(_: &str, _: &str) -> bool {
    true
}

/// Off unix the number is a digest of the handle: the two paths are compared again.
#[cfg(not(unix))]
fn confirmed(a: &str, b: &str) -> bool {
    same_file::is_same_file(a, b).unwrap_or(false)
}

/// The file a path names elsewhere: `same-file`'s handle (on Windows the volume serial number
/// and file index, which hard links share), reduced to a number. Only regular files are
/// opened (a named pipe would block); the handle is closed at once, so nothing stays open
/// while the run replaces files.
#[cfg(not(unix))]
fn file_id(p: &Path) -> Option<(u64, u64)> {
    use std::hash::{Hash, Hasher};
    if !std::fs::metadata(p).ok()?.is_file() {
        return None;
    }
    let handle = same_file::Handle::from_path(p).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    handle.hash(&mut h);
    Some((h.finish(), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_in_every_spelling_is_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let at = |n: &str| dir.path().join(n).to_string_lossy().to_string();
        std::fs::write(at("in.json"), "{}").unwrap();
        std::fs::create_dir(at("sub")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(at("in.json"), at("link.json")).unwrap();
            std::fs::hard_link(at("in.json"), at("hard.json")).unwrap();
            std::os::unix::fs::symlink(at("later.json"), at("dangling.json")).unwrap();
        }
        let mut spellings = vec![
            at("in.json"),
            format!("{}/./in.json", dir.path().display()),
            format!("{}/sub/../in.json", dir.path().display()),
            at("IN.json"),
        ];
        if cfg!(unix) {
            spellings.extend([at("link.json"), at("hard.json")]);
        }
        for s in &spellings {
            let mut r = Registry::default();
            r.read("input", &at("in.json"));
            let err = r.write("-o", s).unwrap_err().to_string();
            assert!(err.contains("would overwrite the input"), "{s}: {err}");
        }
        let mut r = Registry::default();
        r.write("-o", &at("out.json")).unwrap();
        assert!(r.write("--summary", &at("OUT.JSON")).is_err());
        assert!(r.write("--trace", &at("trace.csv")).is_ok());
        if cfg!(unix) {
            r.write("--report", &at("later.json")).unwrap();
            let err = r.write("--complete", &at("dangling.json")).unwrap_err();
            assert!(err.to_string().contains("written by --report"), "{err}");
        }
    }

    #[test]
    fn standard_output_is_claimed_once() {
        let mut r = Registry::default();
        r.read("input", "-");
        r.write("-o", "-").unwrap();
        let err = r.write("--trace", "-").unwrap_err().to_string();
        assert!(err.contains("-o and --trace would both"), "{err}");
    }
}
