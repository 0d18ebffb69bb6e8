//! pi2de: DHIS2 program-indicator exports → import-ready aggregate dataValueSets.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = pi2de::cli::Cli::parse();
    pi2de::cleanup::install();
    match pi2de::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pi2de: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
