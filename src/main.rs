//! pi2de: DHIS2 program-indicator exports → import-ready aggregate dataValueSets.

use clap::Parser;

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
