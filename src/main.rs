//! pi2de: DHIS2 program-indicator exports → import-ready aggregate dataValueSets.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let code = match pi2de::run(pi2de::cli::Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            pi2de::term::error_line(&format!("pi2de: error: {e:#}"));
            pi2de::ExitCode::for_error(&e)
        }
    };
    pi2de::late_interrupt();
    code.into()
}
