//! How reading shows its progress: a bar on stderr once reading has taken a second, or lines
//! for a program that runs pi2de (`--progress-lines`, read by `pi2de serve`).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::location;

/// How reading shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Off,
    /// A bar on stderr when it is a terminal, once reading has taken a second.
    Bar,
    /// Lines on stderr, `pi2de-progress BYTES TOTAL`, at most five a second (`--progress-lines`,
    /// read by `pi2de serve`).
    Lines,
}

/// The prefix of a progress line.
pub const PROGRESS_LINE: &str = "pi2de-progress";

/// Progress is reported as lines (set once by [`progress_bar`]).
static LINES: AtomicBool = AtomicBool::new(false);
/// When the last progress line was printed, in milliseconds after reading began.
static LAST_LINE: AtomicU64 = AtomicU64::new(0);

/// A progress bar for reading `inputs` on stderr, or `None` when progress is off, or shown as
/// a bar and stderr is not a terminal. A bar stays hidden until reading has taken a second.
pub fn progress_bar(inputs: &[String], progress: Progress) -> Option<ProgressBar> {
    use std::io::IsTerminal;
    if progress == Progress::Off || (progress == Progress::Bar && !io::stderr().is_terminal()) {
        return None;
    }
    LINES.store(progress == Progress::Lines, Ordering::Relaxed);
    let total: u64 = inputs
        .iter()
        .filter(|p| !location::is_standard(p))
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template(
        "reading {msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// Counts `n` bytes read: shows the bar once reading has taken a second, or prints a line.
pub(super) fn advance(bar: &ProgressBar, n: u64) {
    bar.inc(n);
    if LINES.load(Ordering::Relaxed) {
        let ms = u64::try_from(bar.elapsed().as_millis()).unwrap_or(u64::MAX);
        if ms >= LAST_LINE.load(Ordering::Relaxed) + 200 {
            LAST_LINE.store(ms, Ordering::Relaxed);
            let total = bar.length().unwrap_or(0);
            crate::term::error_line(&format!("{PROGRESS_LINE} {} {total}", bar.position()));
        }
    } else if bar.is_hidden() && bar.elapsed() > std::time::Duration::from_secs(1) {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
}
