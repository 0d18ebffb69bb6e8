//! pi2de: DHIS2 program-indicator exports → import-ready aggregate dataValueSets.

use clap::Parser;

/// The static Linux build's own allocator (musl's) made conversions 30-40 % slower than the
/// glibc build; jemalloc brings it back within a few percent at the same memory (mimalloc held
/// twice the memory): the measurements are in the README. ripgrep does the same.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // On Windows a double-click starts pi2de with no arguments: that opens the page.
    let by_default = pi2de::serve_by_default();
    let cli = if by_default {
        pi2de::cli::Cli::parse_from(["pi2de", "serve"])
    } else {
        pi2de::cli::Cli::parse()
    };
    let code = match pi2de::run(cli) {
        Ok(code) => code,
        Err(e) => {
            pi2de::term::error_line(&format!("pi2de: error: {e:#}"));
            if by_default {
                // The window would close before the message could be read.
                pi2de::term::error_line("Press Enter to close this window.");
                let _ = std::io::stdin().read_line(&mut String::new());
            }
            pi2de::ExitCode::for_error(&e)
        }
    };
    pi2de::late_interrupt();
    code.into()
}
