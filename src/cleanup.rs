//! Temporary files to remove if the run is interrupted (SIGINT, SIGTERM). In every other case a
//! temporary file is removed when it is dropped or renamed into place.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the registered temporary files and exits with 130 on SIGINT or SIGTERM.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let paths = match PENDING.lock() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for p in paths {
            let _ = std::fs::remove_file(p);
        }
        eprintln!("pi2de: interrupted: no output was written");
        std::process::exit(130);
    });
}

pub fn register(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.push(path.to_path_buf());
    }
}

pub fn unregister(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.retain(|q| q != path);
    }
}
