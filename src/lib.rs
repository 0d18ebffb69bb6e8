//! pi2de as a library: the binary's commands, and the readers, rules and writers behind them.

pub mod cli;
pub mod convert;
pub mod inspect;
pub mod mapping;
pub mod model;
pub mod period;
pub mod pipeline;
pub mod read;
pub mod report;
pub mod value;
pub mod write;

use std::process::ExitCode;

/// Runs a parsed command line and returns the process exit code (SPEC §7).
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        cli::Command::Convert(args) => convert::run(&args),
        cli::Command::Inspect(args) => inspect::run(&args),
    }
}
