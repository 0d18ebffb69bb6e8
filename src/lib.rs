//! pi2de as a library: the binary's commands, and the readers, rules and writers behind them.

pub mod cleanup;
pub mod cli;
pub mod commands;
pub mod fuzzing;
pub mod mapping;
pub mod metadata;
pub mod model;
pub mod period;
pub mod pipeline;
pub mod preflight;
pub mod read;
pub mod relay;
pub mod report;
pub mod store;
pub mod value;
pub mod write;
pub mod xlsx;

use std::process::ExitCode;

/// Runs a parsed command line and returns the process exit code (README, "Exit codes").
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        cli::Command::Convert(args) => commands::convert::run(&args),
        cli::Command::Inspect(args) => commands::inspect::run(&args),
        cli::Command::Mapping(cmd) => commands::mapping::run(cmd),
    }
}
