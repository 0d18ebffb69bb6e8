//! pi2de: DHIS2 program-indicator exports → import-ready aggregate dataValueSets.

use clap::Parser;

fn main() -> std::process::ExitCode {
    match pi2de::run(pi2de::cli::Cli::parse()) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("pi2de: error: {e:#}");
            pi2de::ExitCode::for_error(&e).into()
        }
    }
}
