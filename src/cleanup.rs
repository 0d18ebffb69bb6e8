//! What an interrupt (SIGINT, SIGTERM) does, which depends on how far the run got. While files
//! are written, the registered temporary files (and folder locks) are removed and the run ends
//! with 130: nothing was written. Once the move into place has begun, the interrupt waits: the
//! move finishes so the files on disk agree (a run stopped between two renames would leave a
//! mix of two runs), the run ends with its own exit code, and a note says the interrupt came
//! late. In every other case a temporary file is removed when it is dropped or renamed into
//! place.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The temporary files to remove, and whether the move into place has begun. One lock for
/// both: the handler and the start of the move cannot interleave.
struct Pending {
    /// A set: a split run registers thousands, each unregistered on its own.
    paths: Option<HashSet<PathBuf>>,
    moving: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    paths: None,
    moving: false,
});

/// An interrupt arrived after the move into place began.
static LATE: AtomicBool = AtomicBool::new(false);

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a long-running command (`pi2de serve`) does on an interrupt instead: it stops its
/// work and returns the exit code.
type Hook = Box<dyn Fn() -> i32 + Send>;

static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

/// On an interrupt, `hook` runs and the process ends with the code it returns.
pub fn on_interrupt(hook: Hook) {
    *HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(hook);
}

/// Installs the handler.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if let Some(hook) = HOOK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
        {
            std::process::exit(hook());
        }
        let p = pending();
        if p.moving {
            LATE.store(true, Ordering::SeqCst);
            return;
        }
        for path in p.paths.iter().flatten() {
            let _ = std::fs::remove_file(path);
        }
        crate::term::error_line("pi2de: interrupted: no output was written");
        std::process::exit(130);
    });
}

/// The move into place begins: from here an interrupt waits for the run to end.
pub fn moving() {
    pending().moving = true;
}

/// The note for an interrupt that came during or after the move into place, if one did.
pub fn late_interrupt() -> Option<&'static str> {
    LATE.load(Ordering::SeqCst).then_some(
        "pi2de: interrupted while the files were moved into place: the move was finished, so the \
         files on disk are this run's, complete (the exit code is the run's)",
    )
}

pub fn register(path: &Path) {
    pending()
        .paths
        .get_or_insert_with(HashSet::new)
        .insert(path.to_path_buf());
}

pub fn unregister(path: &Path) {
    if let Some(paths) = pending().paths.as_mut() {
        paths.remove(path);
    }
}
